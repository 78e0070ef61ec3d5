import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FareModel } from '../../../domain/transit/fares';
import { buildFareModel } from './buildFareModel';

/** Reads a GTFS feed directory (unzipped) and builds its fare model; see buildFareModel. */
export async function loadFeed(dir: string): Promise<FareModel> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.txt'));
  const files: Record<string, string> = {};
  for (const name of names) files[name] = await readFile(path.join(dir, name), 'utf8');
  return buildFareModel(files);
}
