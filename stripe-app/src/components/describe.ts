// The words and times the settings page shows: pure functions of what the
// backend answered, shared by the page's components and its hook.
import type { CheckResult, LastCheck, Mode } from '../api';

/** Formats an ISO time for the page; '—' for none. */
export type FormatTime = (iso: string | null) => string;

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export const modeLabel = (mode: Mode) => (mode === 'live' ? 'Live mode' : 'Test mode');
export const otherMode = (mode: Mode): Mode => (mode === 'live' ? 'test' : 'live');

/** A time in the user's locale (medium date, short time); the ISO text when it is not a time. */
export function formatTimeIn(locale: string | undefined, iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return date.toLocaleString(locale || undefined, { dateStyle: 'medium', timeStyle: 'short' });
  } catch {
    return date.toISOString();
  }
}

export function describeCounts(counts: Pick<CheckResult, 'events_seen' | 'conversions_created' | 'conversions_updated'>, when: string) {
  return (
    `${when}: ${counts.events_seen} events seen, ` +
    `${counts.conversions_created} conversions created, ${counts.conversions_updated} updated.`
  );
}

export function describeLastCheck(check: LastCheck | null, formatTime: FormatTime): string {
  if (!check) return 'Last check: none yet.';
  const when = formatTime(check.finished_at ?? check.started_at);
  if (check.error) return `Last check failed (${when}): ${check.error}`;
  if (!check.finished_at) return `Last check: running since ${when}.`;
  return (
    'Last check ' +
    describeCounts(
      {
        events_seen: check.events_seen ?? 0,
        conversions_created: check.conversions_created ?? 0,
        conversions_updated: check.conversions_updated ?? 0,
      },
      when,
    )
  );
}
