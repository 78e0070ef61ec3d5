export { GateSimulator, type GateOptions, type GateResult, type GateTap } from './gate';
export { AfcSimulator, type AfcFaults, type AfcOptions, type UploadReport } from './afc';
