import BetterSqlite3 from "better-sqlite3";

/**
 * The floor: the least a durable SQLite queue can do per job — insert, claim with
 * UPDATE … RETURNING, mark done — each its own committed transaction, WAL, synchronous=NORMAL
 * (Station's settings). Returns jobs per second.
 */
export function bareSqliteInsertAndClaim(file: string, jobs: number): number {
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.exec(
    "CREATE TABLE IF NOT EXISTS q (id INTEGER PRIMARY KEY, status TEXT NOT NULL, payload TEXT NOT NULL, result TEXT, lease TEXT); CREATE INDEX IF NOT EXISTS q_status ON q (status, id)",
  );
  const insert = sqlite.prepare("INSERT INTO q (status, payload) VALUES ('queued', ?)");
  const claim = sqlite.prepare(
    "UPDATE q SET status = 'running', lease = ? WHERE id = (SELECT id FROM q WHERE status = 'queued' ORDER BY id LIMIT 1) RETURNING id",
  );
  const complete = sqlite.prepare("UPDATE q SET status = 'completed', result = ? WHERE id = ? AND lease = ?");
  const started = performance.now();
  for (let index = 0; index < jobs; index++) {
    insert.run(`{"n":${index}}`);
    const lease = `l${index}`;
    const row = claim.get(lease) as { id: number };
    complete.run('{"caption":"x"}', row.id, lease);
  }
  const seconds = (performance.now() - started) / 1000;
  sqlite.close();
  return jobs / seconds;
}
