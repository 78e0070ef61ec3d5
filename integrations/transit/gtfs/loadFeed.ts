import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FareModel } from '../../../domain/transit/fares';
import { buildFareModel } from './buildFareModel';

/** The `.txt` files of a GTFS feed directory (unzipped), by file name. */
export async function readFeedFiles(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.txt'));
  const files: Record<string, string> = {};
  for (const name of names) files[name] = await readFile(path.join(dir, name), 'utf8');
  return files;
}

/** Reads a GTFS feed directory (unzipped) and builds its fare model; see buildFareModel. */
export async function loadFeed(dir: string): Promise<FareModel> {
  return buildFareModel(await readFeedFiles(dir));
}
