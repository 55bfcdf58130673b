// What a release tells people about, as it moves on: the workflow decides the kind, the Slack adapter words it.

export type NotificationKind =
  | 'started'
  | 'approval_requested'
  | 'approval_decided'
  | 'deployed'
  /** A deploy waits: e.g. blocked by an Argo CD sync window (the detail says until when). */
  | 'deploy_blocked'
  /** Live progress of a stage (verify, soak, window): updates the message, no thread reply. */
  | 'progress'
  | 'succeeded'
  | 'failed'
  | 'rolled_back'
  | 'rollback_failed'
  | 'ended';
