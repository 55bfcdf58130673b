// Inside the workflow sandbox `Date` is Temporal's deterministic workflow clock (the time of the
// current workflow task), so this is safe to call on replay. Everything time-related in workflows
// goes through here so that rule lives in one place.
export function workflowNow(): Date {
  return new Date();
}
