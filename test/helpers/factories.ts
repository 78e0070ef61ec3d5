import { checkCharacter } from '../../domain/residentId';

/** A fresh valid resident ID number (random birth date and sequence, correct check character). */
export function createTestIdNumber(): string {
  const year = 1960 + Math.floor(Math.random() * 40);
  const month = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0');
  const day = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0');
  const seq = String(Math.floor(Math.random() * 1000)).padStart(3, '0');
  const base = `440106${year}${month}${day}${seq}`;
  return base + checkCharacter(base);
}
