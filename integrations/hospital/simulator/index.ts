/** A hospital information system simulator (MLLP both ways) for tests and the demo. */
export { startHisSimulator, type HisSimulator, type CallResult } from './server';
export { HisState, type Decision } from './state';
export {
  DEFAULT_BEHAVIOUR,
  PlaceOrdersInput,
  SendResultsInput,
  SimBehaviourPatch,
  SimDepartment,
  SimDoctor,
  SimObservation,
  SimOrderItem,
  SimOutage,
  SimSlot,
  type HisSimulatorOptions,
  type ReceivedMessage,
  type SentMessage,
  type SimBehaviour,
  type SimBooking,
  type SimOrder,
} from './types';
export {
  DEFAULT_CHANNEL_MIX,
  HOURLY_BOOKING_CURVE,
  OtherChannelBookingsInput,
  planOtherChannelBookings,
  seededRandom,
  type PlannedBooking,
} from './otherChannels';
