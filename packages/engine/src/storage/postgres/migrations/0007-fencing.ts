import type { Migration } from '../../sqlite/migrations/migration.js';

/**
 * Fencing for several engine processes. A process that lost its node session is treated as dead and its
 * orchestrations are claimed by another (`owner_node` changes); until it notices and exits, it could still
 * commit a step of an orchestration it no longer owns. Every insert into the journal (each step that
 * changes state writes entries) now checks, in the same transaction, that the writing process
 * (`orra.node`) owns each in-flight orchestration it writes for, and fails otherwise: the step rolls back
 * and the runner drops the orchestration, sending nothing. `FOR SHARE` holds the rows until commit, so a
 * takeover's `FOR UPDATE SKIP LOCKED` passes them over until the step is in, and then reads it.
 * Ended orchestrations are not checked: compensations and their journal entries have their own owner.
 * One check per statement (a transition table), not per row.
 */
export const M0007_FENCING: Migration = {
  version: 7,
  name: 'fencing',
  sql: `
      CREATE FUNCTION orra_fence_journal() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        node TEXT := current_setting('orra.node', true);
        stray RECORD;
      BEGIN
        IF node IS NULL OR node = '' THEN
          RETURN NULL;
        END IF;
        FOR stray IN
          SELECT o.id, o.owner_node FROM orchestrations o
          WHERE o.id IN (SELECT DISTINCT orchestration_id FROM new_entries)
            AND o.status IN ('pending', 'processing')
          FOR SHARE OF o
        LOOP
          IF stray.owner_node IS DISTINCT FROM node THEN
            RAISE EXCEPTION 'orchestration % is owned by engine process %, not by this one (%)',
              stray.id, stray.owner_node, node USING ERRCODE = 'OR001';
          END IF;
        END LOOP;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER journal_fence AFTER INSERT ON journal
        REFERENCING NEW TABLE AS new_entries
        FOR EACH STATEMENT EXECUTE FUNCTION orra_fence_journal();
  `,
};
