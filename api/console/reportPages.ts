import { demographicsPage, funnelPage, type ReportPage } from './reports';
import { channelSharePage, spendingBandsPage } from './shareReports';

/** Every institution report page, in navigation order. */
export const REPORT_PAGES: readonly ReportPage[] = [funnelPage, demographicsPage, channelSharePage, spendingBandsPage];
