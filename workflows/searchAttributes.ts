import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * Operator-facing search attributes. They are stored in the clear by Temporal, so they only ever
 * hold ids, stages, hashed user references and amounts — never personal data.
 */
export const Vertical = defineSearchAttributeKey('CausewayVertical', 'KEYWORD');
export const Institution = defineSearchAttributeKey('CausewayInstitution', 'KEYWORD');
export const Stage = defineSearchAttributeKey('CausewayStage', 'KEYWORD');
export const UserRef = defineSearchAttributeKey('CausewayUserRef', 'KEYWORD');
export const AmountDue = defineSearchAttributeKey('CausewayAmountDue', 'INT');

export const ALL_SEARCH_ATTRIBUTES = [Vertical, Institution, Stage, UserRef, AmountDue];
