/**
 * The campaign lifecycle, whole: its states, which action moves it from where to where, the
 * automatic steps (scheduled → running when its first batch runs, → completed when nothing is
 * pending any more), which states send and which allow a retry.
 *
 * ```
 *   scheduled ──start (first batch runs)──► running ──(last recipient settled, intake done)──► completed
 *      │  ╲                                  │  ▲                                               │
 *      │   ╲──pause──► paused ◄──pause───────┘  └───────────────retry──────────────────────────┘
 *      │                 │  ╲──resume──► running
 *      └──cancel─────────┴── cancel (also from running) ──► cancelled
 * ```
 * There is no `failed` state: a fatal answer (bad key, template paused…) pauses the campaign with a
 * reason, since the user can fix the cause and resume; a recipient can fail, a campaign cannot.
 *
 * The transitions themselves run in Redis (transition-campaign-2.lua, compare-and-set), and the
 * automatic completion runs inside the ledger's commit (commit-many-4.lua), atomically with the
 * recipient that settled last; both take their rules from the constants here.
 */

export const CAMPAIGN_STATES = ['scheduled', 'running', 'paused', 'completed', 'cancelled'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

/** Which states each action may start from, and where it leads. */
export const TRANSITIONS = {
  pause: { from: ['scheduled', 'running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  cancel: { from: ['scheduled', 'running', 'paused'], to: 'cancelled' },
  /** The scheduled → running step: taken by the worker when a campaign's first batch runs. */
  start: { from: ['scheduled'], to: 'running' },
  /** A retry of failed recipients re-opens a completed campaign (or adds to a running one). */
  retry: { from: ['completed', 'running'], to: 'running' },
  /** An intake that kept nobody (every row rejected) has nothing to send. */
  complete: { from: ['scheduled', 'running'], to: 'completed' },
} as const satisfies Record<string, { from: readonly CampaignState[]; to: CampaignState }>;

export type TransitionName = keyof typeof TRANSITIONS;

/** States in which a campaign's messages may be sent. */
export const SENDING_STATES: ReadonlySet<CampaignState> = new Set(['scheduled', 'running']);

/** States a campaign never leaves by itself (only a retry re-opens a completed one). */
export const FINAL_STATES: ReadonlySet<CampaignState> = new Set(['completed', 'cancelled']);

/**
 * The automatic completion: when the last pending recipient settles and intake is done, a campaign
 * in one of `completeFrom` becomes `completed`, and one in `stampFrom` (cancelled: already final)
 * gets its finishedAt. Paused counts: a paused campaign with nothing left to send is finished.
 * Applied by the ledger's commit script, in the same step as the last commit.
 */
export const AUTO_COMPLETION = {
  completeFrom: ['scheduled', 'running', 'paused'],
  stampFrom: ['cancelled'],
} as const satisfies { completeFrom: readonly CampaignState[]; stampFrom: readonly CampaignState[] };

/** True when `action` may start from `state`. */
export function canTransition(action: TransitionName, state: CampaignState): boolean {
  return (TRANSITIONS[action].from as readonly CampaignState[]).includes(state);
}

/** True when a campaign in this state may send (the worker aborts batches of any other). */
export function isSending(state: CampaignState): boolean {
  return SENDING_STATES.has(state);
}

/** True when the worker must take the scheduled → running step before sending a batch. */
export function needsStart(state: CampaignState): boolean {
  return state === 'scheduled';
}

/** True when failed recipients of a campaign in this state may be retried. */
export function allowsRetry(state: CampaignState): boolean {
  return canTransition('retry', state);
}

/** True for a state the campaign does not leave on its own (watchers stop there). */
export function isFinal(state: CampaignState): boolean {
  return FINAL_STATES.has(state);
}
