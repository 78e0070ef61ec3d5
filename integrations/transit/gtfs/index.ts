export { buildFareModel, type FeedFiles } from './buildFareModel';
export { loadFeed } from './loadFeed';
export type { FeedProblem } from './problems';
