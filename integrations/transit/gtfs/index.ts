export { buildFareModel, type FeedFiles } from './buildFareModel';
export { loadFeed, readFeedFiles } from './loadFeed';
export type { FeedProblem } from './problems';
