import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hospital visits in the journey events (issue 13): one event per stage a visit reaches, written by a
 * trigger on `visits` (the row the visit's own activities insert and move from stage to stage), in the
 * same transaction as the move. Not on `visit_views`: a trigger there, which read `visits` from the
 * projection's transaction, went with 2 failed runs of the database-drop drill in 4 and was taken out;
 * this one reads only the new row and the user's pseudonymous ref.
 */
export class HospitalJourneyEvents1767450000000 implements MigrationInterface {
  name = 'HospitalJourneyEvents1767450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE FUNCTION causeway_event_on_visit_stage() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE v_ref text;
       BEGIN
         IF TG_OP = 'UPDATE' AND OLD.stage IS NOT DISTINCT FROM NEW.stage THEN RETURN NULL; END IF;
         SELECT user_ref INTO v_ref FROM users WHERE id = NEW.user_id;
         PERFORM causeway_journey_event(NEW.workflow_id, 'hospital', NEW.institution_id, NEW.stage, v_ref, NULL);
         RETURN NULL;
       END $$`,
    );
    await q.query(
      `CREATE TRIGGER "TR_visits_journey_event" AFTER INSERT OR UPDATE OF "stage" ON "visits"
         FOR EACH ROW EXECUTE FUNCTION causeway_event_on_visit_stage()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER "TR_visits_journey_event" ON "visits"');
    await q.query('DROP FUNCTION causeway_event_on_visit_stage()');
  }
}
