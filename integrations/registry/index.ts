export * from './provider';
export { HttpCompanyRegistry } from './http';
export { startRegistrySimulator, type RegistrySimulator } from './simulator';
