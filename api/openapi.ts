import { OpenApiGeneratorV31, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

export function buildOpenApiDocument(registry: OpenAPIRegistry): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  registry.registerComponent('securitySchemes', 'partnerApiKey', { type: 'http', scheme: 'bearer', description: 'Partner app API key' });
  registry.registerComponent('securitySchemes', 'userId', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Causeway-User',
    description: 'The user the partner app acts for',
  });
  registry.registerComponent('securitySchemes', 'institutionSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Causeway-Signature',
    description:
      'HMAC-SHA256 over method, path, X-Causeway-Timestamp, X-Causeway-Nonce and the body hash, with the institution secret; X-Causeway-Institution names the institution',
  });
  registry.registerComponent('securitySchemes', 'operatorToken', { type: 'http', scheme: 'bearer', description: 'Operator token' });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Causeway API',
      version: '0.1.0',
      description: 'Partner, institution and operator routes of Causeway. Errors are RFC 9457 problem+json.',
      license: { name: 'Proprietary (UNLICENSED)', identifier: 'LicenseRef-Proprietary' },
    },
    // Relative: the document is served by the API it describes, wherever that runs.
    servers: [{ url: '/', description: 'The API serving this document' }],
  });
}
