#!/bin/sh
# One-shot setup of Causeway's Temporal namespace, run by docker-compose.yml's temporal-init job (the
# temporalio/admin-tools image) or by hand against any cluster the `temporal` CLI reaches
# (TEMPORAL_ADDRESS, and TEMPORAL_TLS_* / TEMPORAL_API_KEY, which the CLI reads itself).
#  - The namespace's retention is set explicitly: created with it, or updated to it when it exists.
#  - The search attributes of workflows/searchAttributes.ts are registered and then checked; any that is
#    missing or has another type ends the job non-zero, so nothing that depends on it starts.
# test/unit/deployTemporalInit.test.ts keeps the list below equal to workflows/searchAttributes.ts.
set -eu

NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-720h}"
# name:Type, as `temporal operator search-attribute` spells the types.
ATTRIBUTES="CausewayVertical:Keyword CausewayInstitution:Keyword CausewayStage:Keyword CausewayUserRef:Keyword CausewayAmountDue:Int"

if temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists: setting retention to $RETENTION"
  temporal operator namespace update --namespace "$NAMESPACE" --retention "$RETENTION"
else
  echo "creating namespace $NAMESPACE with retention $RETENTION"
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"
fi

args=""
for attr in $ATTRIBUTES; do
  args="$args --name ${attr%%:*} --type ${attr#*:}"
done

# Returns 0 when every attribute is listed with its type; else names the others in $missing.
check() {
  listed="$(temporal operator search-attribute list --namespace "$NAMESPACE" 2>&1)" || true
  missing=""
  for attr in $ATTRIBUTES; do
    if ! printf '%s\n' "$listed" | grep -Eq "^[[:space:]]*${attr%%:*}[[:space:]]+${attr#*:}[[:space:]]*$"; then
      missing="$missing ${attr%%:*}(${attr#*:})"
    fi
  done
  [ -z "$missing" ]
}

# A namespace just created reaches the frontend's cache a few seconds later, so registration is retried
# for a while. Re-creating attributes that exist with the same type is not an error; one that exists with
# another type is, and the check then fails every attempt.
attempt=1
while :; do
  # shellcheck disable=SC2086
  temporal operator search-attribute create --namespace "$NAMESPACE" $args || true
  if check; then break; fi
  if [ "$attempt" -ge "${TEMPORAL_INIT_ATTEMPTS:-15}" ]; then
    echo "search attributes missing or of another type in namespace $NAMESPACE:$missing" >&2
    printf '%s\n' "$listed" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done
echo "namespace $NAMESPACE ready: retention $RETENTION, search attributes registered"
