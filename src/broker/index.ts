export { startBroker } from './server.js'
export type { Broker, BrokerOptions, BrokerStats, BrokerTuning } from './server.js'
export {
  FrameParser,
  StompFrameError,
  encodeFrame,
  parseFrames,
  escapeHeader,
  unescapeHeader,
} from './frame.js'
export type { EscapeMode, FrameParserOptions, StompFrame, StompVersion } from './frame.js'
export { matchTopic, parseDestination } from './destinations.js'
export type { Destination, DestinationKind } from './destinations.js'
