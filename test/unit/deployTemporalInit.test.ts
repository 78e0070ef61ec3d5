import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';

/**
 * deploy/temporal-init.sh (docker compose's temporal-init job, plain sh in the admin-tools image) keeps its
 * own list of search attributes; this keeps it equal to the one the workflows upsert.
 */
const CLI_TYPE: Record<string, string> = {
  KEYWORD: 'Keyword',
  INT: 'Int',
  TEXT: 'Text',
  BOOL: 'Bool',
  DOUBLE: 'Double',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

describe('deploy/temporal-init.sh', () => {
  it('registers exactly the search attributes of workflows/searchAttributes.ts, with their types', () => {
    const script = readFileSync(path.join(__dirname, '..', '..', 'deploy', 'temporal-init.sh'), 'utf8');
    const listed = /^ATTRIBUTES="([^"]*)"$/m.exec(script)?.[1]?.split(/\s+/).filter(Boolean) ?? [];
    const expected = ALL_SEARCH_ATTRIBUTES.map((key) => `${key.name}:${CLI_TYPE[key.type] ?? `unmapped ${key.type}`}`);
    expect([...listed].sort()).toEqual([...expected].sort());
  });
});
