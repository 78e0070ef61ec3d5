/** Causeway → HIS: the HisGateway interface and its MLLP implementation. */
export { HisArrival, HisBooking, HisCancellation, HisPayment, HisReceipt, type HisGateway } from './types';
export { MllpHisGateway, type MllpHisGatewayOptions } from './mllpGateway';
export { HisStep, hisControlId } from './controlId';
