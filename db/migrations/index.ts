import { Foundation1764000000000 } from './1764000000000-Foundation';
import { Notifications1764100000000 } from './1764100000000-Notifications';
import { InboxInstitution1765100000000 } from './1765100000000-InboxInstitution';
import { TrustBoundary1765200000000 } from './1765200000000-TrustBoundary';
import { ReadModel1765400000000 } from './1765400000000-ReadModel';
import { ResultVersions1765500000000 } from './1765500000000-ResultVersions';
import { TransitRiders1766000000000 } from './1766000000000-TransitRiders';
import { TransitEnrolment1766100000000 } from './1766100000000-TransitEnrolment';
import { TransitTaps1766200000000 } from './1766200000000-TransitTaps';
import { TransitSettlement1766300000000 } from './1766300000000-TransitSettlement';
import { TransitClaims1766400000000 } from './1766400000000-TransitClaims';
import { UserInbox1766600000000 } from './1766600000000-UserInbox';
import { NoticeStream1766800000000 } from './1766800000000-NoticeStream';
import { PartnerWebhooks1766900000000 } from './1766900000000-PartnerWebhooks';
import { RetailCampaigns1767000000000 } from './1767000000000-RetailCampaigns';
import { ResultShares1767100000000 } from './1767100000000-ResultShares';
import { MerchantOnboarding1767200000000 } from './1767200000000-MerchantOnboarding';
import { MemberCards1767300000000 } from './1767300000000-MemberCards';
import { JourneyEvents1767400000000 } from './1767400000000-JourneyEvents';
import { HospitalJourneyEvents1767450000000 } from './1767450000000-HospitalJourneyEvents';
import { CouponJourneyEvents1767480000000 } from './1767480000000-CouponJourneyEvents';
import { TransitRiderJourneyEvents1767490000000 } from './1767490000000-TransitRiderJourneyEvents';
import { ConsoleAccounts1767500000000 } from './1767500000000-ConsoleAccounts';
import { ChannelShare1767600000000 } from './1767600000000-ChannelShare';
import { SpendingBands1767610000000 } from './1767610000000-SpendingBands';
import { OpsMetrics1767700000000 } from './1767700000000-OpsMetrics';
import { ReleaseAtoms1767700000001 } from './1767700000001-ReleaseAtoms';
import { LateRiderRideEvents1767800000000 } from './1767800000000-LateRiderRideEvents';

/** Listed explicitly (no globs) so the same list works from ts sources under jest and from dist. */
export const MIGRATIONS = [
  Foundation1764000000000,
  Notifications1764100000000,
  InboxInstitution1765100000000,
  TrustBoundary1765200000000,
  ReadModel1765400000000,
  ResultVersions1765500000000,
  TransitRiders1766000000000,
  TransitEnrolment1766100000000,
  TransitTaps1766200000000,
  TransitSettlement1766300000000,
  TransitClaims1766400000000,
  UserInbox1766600000000,
  NoticeStream1766800000000,
  PartnerWebhooks1766900000000,
  RetailCampaigns1767000000000,
  ResultShares1767100000000,
  MerchantOnboarding1767200000000,
  MemberCards1767300000000,
  JourneyEvents1767400000000,
  HospitalJourneyEvents1767450000000,
  CouponJourneyEvents1767480000000,
  TransitRiderJourneyEvents1767490000000,
  ConsoleAccounts1767500000000,
  ChannelShare1767600000000,
  SpendingBands1767610000000,
  OpsMetrics1767700000000,
  ReleaseAtoms1767700000001,
  LateRiderRideEvents1767800000000,
];
