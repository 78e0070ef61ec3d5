export { issueCredential, makeCode, DEFAULT_CODE_VALIDITY_SECONDS, type IssueCredentialInput, type MakeCodeInput } from './make';
export {
  verifyCode,
  DEFAULT_SKEW_SECONDS,
  DEFAULT_MAX_CODE_VALIDITY_SECONDS,
  type VerifyCodeInput,
  type GateDecision,
  type DenyReason,
  type ReplayCache,
  type TrustedIssuerKey,
} from './verify';
export { MemoryReplayCache } from './memoryReplayCache';
export { toQrText, fromQrText, decodeCredential, decodeCode, MAX_CREDENTIAL_SECONDS } from './format';
export { rawPublicKey, publicKeyFromRaw } from './keys';
export { signKeySet, verifyKeySet, type KeySet, type KeySetEntry, type KeySetResult } from './keySet';
export { signDenyListDelta, verifyDenyListDelta, netDenyListChanges, type DenyListDelta, type DenyListResult } from './denyList';
