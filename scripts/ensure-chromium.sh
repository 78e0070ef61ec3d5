#!/usr/bin/env bash
# Debian's headless Chromium for the Web UI screenshot test (test/e2e/codecWebUi.e2e.test.ts).
# playwright-core drives it; playwright's own browser download is never used.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  /usr/bin/chromium --version
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing: run as root, or apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version
