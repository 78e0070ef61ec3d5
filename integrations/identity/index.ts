export * from './provider';
export { HttpIdentityProvider } from './http';
export { startIdentitySimulator, type IdentityOutcomes, type IdentitySimulator } from './simulator';
