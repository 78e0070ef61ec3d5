-- Temporal keeps workflow state and visibility in two databases of its own PostgreSQL; the image's
-- entrypoint creates the first (POSTGRES_DB), this the second. temporal-schema then installs both schemas.
CREATE DATABASE temporal_visibility;
