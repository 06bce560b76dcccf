#!/usr/bin/env bash
# Builds cosign (sigstore's signing CLI) from its Go module into ~/.cache/cnbkit/cosign/<version>/cosign.
# Only tests use it: the supply-chain tests check that what `cnbkit build --sign-key` and
# `cnbkit sign` write is what `cosign verify` and `cosign verify-attestation` accept, in a
# registry and in an OCI layout (with --insecure-ignore-tlog: no transparency log here).
set -euo pipefail
version="${CNBKIT_COSIGN_VERSION:-2.6.5}"
exec bash "$(dirname "${BASH_SOURCE[0]}")/go-install-tool.sh" cosign cosign \
  github.com/sigstore/cosign/v2/cmd/cosign "$version" "-X 'sigs.k8s.io/release-utils/version.gitVersion=v$version'"
