// A fake Argo Rollouts controller (argoproj/argo-rollouts; citations in docs/fakes.md), for the Rollouts an
// Argo CD application manages. It keeps `argoproj.io/v1alpha1` Rollout objects with the status fields of
// pkg/apis/rollouts/v1alpha1/types.go and reconciles them as rollout/canary.go does: a new pod template starts
// at step 0, setWeight/setCanaryScale steps complete once the canary pods are available, a pause adds a
// `CanaryPauseStep` pause condition (with a duration it ends by itself), `status.abort` sends all traffic back
// to stable (RolloutAborted), `status.promoteFull` skips the rest, and a template equal to the stable one skips
// every step. Blue-green with `autoPromotionEnabled: false` pauses with the preview up (`BlueGreenPause`).
// Phase and message follow utils/rollout/rolloututil.go CalculateRolloutPhase; Argo CD's view of it (health,
// actions) follows argo-cd resource_customizations/argoproj.io/Rollout/ (health.lua, actions/*/action.lua).
import { createHash } from 'node:crypto';

type Json = Record<string, unknown>;

export type FakeCanaryStep =
  | { setWeight: number }
  | { setCanaryScale: { replicas?: number; weight?: number; matchTrafficWeight?: boolean } }
  | { pause: { duration?: string | number } };

export interface FakeRolloutInit {
  /** The Argo CD application whose resource tree holds it. */
  application: string;
  name: string;
  namespace: string;
  replicas: number;
  /** The image the stable pods run at the start. */
  image: string;
  canary?: { steps: FakeCanaryStep[] };
  blueGreen?: { activeService: string; previewService: string; autoPromotionEnabled?: boolean };
  /** spec.progressDeadlineSeconds (default 600, as upstream). */
  progressDeadlineSeconds?: number;
}

export interface RolloutPauseCondition {
  reason: 'CanaryPauseStep' | 'BlueGreenPause';
  startTime: string;
}

export interface RolloutCondition {
  type: 'Progressing' | 'Available' | 'Completed' | 'Healthy' | 'Paused' | 'InvalidSpec';
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

/** The stored object, as `kubectl get rollout -o json` shows it. */
export interface FakeRollout {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'Rollout';
  metadata: { name: string; namespace: string; uid: string; generation: number; resourceVersion: string };
  spec: {
    replicas: number;
    paused?: boolean;
    progressDeadlineSeconds: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: Json; spec: { containers: { name: string; image: string }[] } };
    strategy: {
      canary?: { steps: FakeCanaryStep[] };
      blueGreen?: { activeService: string; previewService: string; autoPromotionEnabled?: boolean };
    };
  };
  status: {
    observedGeneration?: string;
    currentPodHash?: string;
    stableRS?: string;
    currentStepIndex?: number;
    currentStepHash?: string;
    pauseConditions?: RolloutPauseCondition[];
    controllerPause?: boolean;
    abort?: boolean;
    abortedAt?: string;
    promoteFull?: boolean;
    replicas: number;
    updatedReplicas: number;
    readyReplicas: number;
    availableReplicas: number;
    phase?: 'Progressing' | 'Paused' | 'Healthy' | 'Degraded';
    message?: string;
    conditions: RolloutCondition[];
    canary: { weights?: { canary: Weight; stable: Weight } };
    blueGreen: { activeSelector?: string; previewSelector?: string };
  };
}

interface Weight {
  weight: number;
  podTemplateHash?: string;
}

export interface FakeArgoRolloutsOptions {
  /** How long new pods take to become available. */
  podReadyMs?: number;
  /** How long one second of a Rollout's pause duration or progress deadline lasts here (tests shrink time). */
  secondMs?: number;
  /** Images whose pods never become ready. */
  isBadImage?: (image: string) => boolean;
}

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const clone = <T>(value: T): T => structuredClone(value);

/** The pod-template-hash label: a stable short hash of the template (controller.ComputeHash). */
export function podTemplateHash(image: string): string {
  return createHash('sha256').update(image).digest('hex').slice(0, 10);
}

/** `30s`, `1m`, `1h` or a number of seconds (v1alpha1 DurationString / RolloutPause.DurationSeconds). */
export function durationSeconds(duration: string | number | undefined): number | undefined {
  if (duration === undefined) return undefined;
  if (typeof duration === 'number') return duration;
  const match = /^(\d+)(s|m|h)?$/.exec(duration.trim());
  if (!match) return undefined;
  const n = Number(match[1]);
  return match[2] === 'h' ? n * 3600 : match[2] === 'm' ? n * 60 : n;
}

/** The weight the canary steps up to index `index` set (replicasetutil.GetCurrentSetWeight). */
export function currentSetWeight(steps: FakeCanaryStep[], index: number): number {
  for (let i = Math.min(index, steps.length - 1); i >= 0; i--) {
    const step = steps[i]!;
    if ('setWeight' in step) return step.setWeight;
  }
  return index >= steps.length ? 100 : 0;
}

export class FakeArgoRollouts {
  readonly podReadyMs: number;
  readonly secondMs: number;
  isBadImage: (image: string) => boolean;
  /** Called after every status change, with the application that manages the Rollout. */
  onChange: (application: string) => void = () => undefined;
  /** Every action run or status patch, in order: `<namespace>/<name> <what>`. */
  readonly log: string[] = [];
  /** When each pause began and was resumed (ms), for measuring how fast a client answers one. */
  readonly pauses: { rollout: string; step: number; pausedAt: number; resumedAt?: number }[] = [];

  private readonly rollouts = new Map<
    string,
    { application: string; rollout: FakeRollout; images: Map<string, string> }
  >();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly canaryReady = new Map<string, number>();
  private resourceVersion = 5000;
  private revision = new Map<string, number>();
  private closed = false;

  constructor(options: FakeArgoRolloutsOptions = {}) {
    this.podReadyMs = options.podReadyMs ?? 20;
    this.secondMs = options.secondMs ?? 1000;
    this.isBadImage = options.isBadImage ?? (() => false);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** A Rollout fully promoted on `image`: Healthy, stable = current. */
  add(init: FakeRolloutInit): FakeRollout {
    const hash = podTemplateHash(init.image);
    const strategy = init.canary ? { canary: clone(init.canary) } : { blueGreen: clone(init.blueGreen!) };
    const rollout: FakeRollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: {
        name: init.name,
        namespace: init.namespace,
        uid: `10000000-0000-4000-8000-${String(this.rollouts.size + 1).padStart(12, '0')}`,
        generation: 1,
        resourceVersion: this.nextVersion(),
      },
      spec: {
        replicas: init.replicas,
        progressDeadlineSeconds: init.progressDeadlineSeconds ?? 600,
        selector: { matchLabels: { app: init.name } },
        template: {
          metadata: { labels: { app: init.name } },
          spec: { containers: [{ name: init.name, image: init.image }] },
        },
        strategy,
      },
      status: {
        observedGeneration: '1',
        currentPodHash: hash,
        stableRS: hash,
        ...(init.canary ? { currentStepIndex: init.canary.steps.length } : {}),
        replicas: init.replicas,
        updatedReplicas: init.replicas,
        readyReplicas: init.replicas,
        availableReplicas: init.replicas,
        phase: 'Healthy',
        message: '',
        conditions: [],
        canary: {},
        blueGreen: init.blueGreen ? { activeSelector: hash } : {},
      },
    };
    const key = this.key(init.namespace, init.name);
    this.rollouts.set(key, { application: init.application, rollout, images: new Map([[hash, init.image]]) });
    this.revision.set(key, 1);
    return clone(rollout);
  }

  /** A snapshot of the stored object, or undefined. */
  get(namespace: string, name: string): FakeRollout | undefined {
    const entry = this.rollouts.get(this.key(namespace, name));
    return entry ? clone(entry.rollout) : undefined;
  }

  /** The Rollouts an application manages (its resource tree). */
  ofApplication(application: string): FakeRollout[] {
    return [...this.rollouts.values()].filter((e) => e.application === application).map((e) => clone(e.rollout));
  }

  /** The image a pod template hash ran, as far as this controller has seen. */
  imageOf(namespace: string, name: string, hash: string | undefined): string | undefined {
    return hash ? this.rollouts.get(this.key(namespace, name))?.images.get(hash) : undefined;
  }

  /** Argo CD applied a sync: the Rollouts of `application` get `image` in their pod template. */
  applied(application: string, image: string | undefined): void {
    if (!image) return;
    for (const [key, entry] of this.rollouts) {
      if (entry.application !== application) continue;
      const container = entry.rollout.spec.template.spec.containers[0]!;
      if (container.image === image) continue;
      container.image = image;
      entry.rollout.metadata.generation += 1;
      entry.images.set(podTemplateHash(image), image);
      this.reconcile(key);
    }
  }

  /** Argo CD's health of the Rollout: resource_customizations/argoproj.io/Rollout/health.lua. */
  health(rollout: FakeRollout): { status: string; message?: string } {
    const { status, metadata } = rollout;
    if (Number(status.observedGeneration) !== metadata.generation) {
      return { status: 'Progressing', message: 'Waiting for rollout spec update to be observed' };
    }
    if (status.phase) {
      return { status: status.phase === 'Paused' ? 'Suspended' : status.phase, message: status.message };
    }
    return { status: 'Progressing', message: 'Waiting for rollout to finish: status has not been reconciled.' };
  }

  /** Merge patch of the status subresource (what kubectl-argo-rollouts promote/abort send). */
  patchStatus(namespace: string, name: string, patch: Json, via = 'status patch'): FakeRollout | undefined {
    const key = this.key(namespace, name);
    const entry = this.rollouts.get(key);
    if (!entry) return undefined;
    const status = entry.rollout.status as unknown as Json;
    for (const [field, value] of Object.entries(patch)) {
      if (value === null) delete status[field];
      else status[field] = clone(value);
    }
    this.log.push(`${key} ${via} ${JSON.stringify(patch)}`);
    this.touch(entry.rollout);
    this.reconcile(key);
    return clone(entry.rollout);
  }

  /**
   * Runs one of Argo CD's built-in Rollout actions (actions/<name>/action.lua) and returns false for a name
   * with no built-in script. The object is patched like RunResourceActionV2 does (status subresource).
   */
  runAction(namespace: string, name: string, action: string): boolean {
    const entry = this.rollouts.get(this.key(namespace, name));
    if (!entry) return false;
    const { rollout } = entry;
    switch (action) {
      case 'resume': {
        // actions/resume/action.lua: clear pauseConditions; spec.paused = false.
        if (rollout.spec.paused) rollout.spec.paused = false;
        if (rollout.status.pauseConditions?.length)
          this.patchStatus(namespace, name, { pauseConditions: null }, 'resume');
        else this.log.push(`${this.key(namespace, name)} resume (nothing paused)`);
        return true;
      }
      case 'promote-full':
        // actions/promote-full/action.lua (rollouts v0.10+: numeric observedGeneration).
        this.patchStatus(namespace, name, { promoteFull: true }, 'promote-full');
        return true;
      case 'abort':
        this.patchStatus(namespace, name, { abort: true }, 'abort');
        return true;
      default:
        return false;
    }
  }

  // ---- the controller ----

  private key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  private nextVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  private touch(rollout: FakeRollout): void {
    rollout.metadata.resourceVersion = this.nextVersion();
  }

  private later(ms: number, step: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) step();
    }, ms);
    this.timers.add(timer);
  }

  /** One reconcile (rolloutCanary / rolloutBlueGreen), then the phase (CalculateRolloutPhase). */
  private reconcile(key: string): void {
    const entry = this.rollouts.get(key);
    if (!entry) return;
    const { rollout } = entry;
    const { spec, status } = rollout;
    const image = spec.template.spec.containers[0]!.image;
    const hash = podTemplateHash(image);
    if (status.currentPodHash !== hash) {
      // PodTemplateOrStepsChanged → resetRolloutStatus: a new revision starts over.
      delete status.pauseConditions;
      delete status.abort;
      delete status.abortedAt;
      delete status.promoteFull;
      status.controllerPause = false;
      status.currentPodHash = hash;
      status.conditions = status.conditions.filter((c) => c.type !== 'Progressing');
      this.revision.set(key, (this.revision.get(key) ?? 1) + 1);
      this.canaryReady.set(key, 0);
      if (spec.strategy.canary) {
        // Rollback to stable: every step is skipped.
        status.currentStepIndex = status.stableRS === hash ? spec.strategy.canary.steps.length : 0;
      } else {
        delete status.blueGreen.previewSelector;
      }
      this.progressStarted.set(key, Date.now());
    }
    status.observedGeneration = String(rollout.metadata.generation);
    if (spec.strategy.canary) this.reconcileCanary(key, entry.application, rollout);
    else this.reconcileBlueGreen(key, rollout);
    this.setPhase(rollout);
    this.touch(rollout);
    this.onChange(entry.application);
  }

  private readonly progressStarted = new Map<string, number>();

  private reconcileCanary(key: string, application: string, rollout: FakeRollout): void {
    const { spec, status } = rollout;
    const steps = spec.strategy.canary!.steps;
    const replicas = spec.replicas;
    const bad = this.isBadImage(spec.template.spec.containers[0]!.image);
    const ready = this.canaryReady.get(key) ?? 0;
    if (status.promoteFull) {
      delete status.pauseConditions;
      delete status.abort;
      status.controllerPause = false;
      status.currentStepIndex = steps.length;
    }
    if (status.abort) {
      // Aborted: the canary is scaled down, all traffic to stable; the step index goes back to 0.
      delete status.pauseConditions;
      status.controllerPause = false;
      status.currentStepIndex = status.stableRS === status.currentPodHash ? steps.length : 0;
      status.abortedAt ??= now();
      this.canaryReady.set(key, 0);
      this.setCounts(rollout, 0, false);
      this.setCondition(
        rollout,
        'Progressing',
        'False',
        'RolloutAborted',
        `Rollout aborted update to revision ${this.revision.get(key)}`,
      );
      return;
    }
    let index = status.currentStepIndex ?? 0;
    // Steps that are done advance in the same reconcile, as syncRolloutStatusCanary does per pass.
    for (;;) {
      if (index >= steps.length) {
        // All steps done: promote the canary to stable once every pod of it is available.
        const wanted = replicas;
        if (ready < wanted) {
          this.scaleCanary(key, application, rollout, wanted, bad);
          status.currentStepIndex = index;
          return;
        }
        status.currentStepIndex = index;
        status.stableRS = status.currentPodHash;
        this.setCounts(rollout, replicas, bad);
        this.setCondition(rollout, 'Progressing', 'True', 'NewReplicaSetAvailable', 'Rollout has completed update');
        return;
      }
      const step = steps[index]!;
      if ('pause' in step) {
        const pause = status.pauseConditions?.find((c) => c.reason === 'CanaryPauseStep');
        if (!pause && !status.controllerPause) {
          status.pauseConditions = [...(status.pauseConditions ?? []), { reason: 'CanaryPauseStep', startTime: now() }];
          status.controllerPause = true;
          this.pauseStartedAt.set(key, Date.now());
          this.pauses.push({ rollout: key, step: index, pausedAt: Date.now() });
          const seconds = durationSeconds(step.pause.duration);
          // checkEnqueueRolloutDuringWait: reconcile again when the pause is over.
          if (seconds !== undefined) this.later(seconds * this.secondMs + 1, () => this.reconcile(key));
          break;
        }
        if (!pause && status.controllerPause) {
          // CompletedCanaryPauseStep: unpaused by someone (resume).
          const open = this.pauses.findLast((p) => p.rollout === key && p.step === index && !p.resumedAt);
          if (open) open.resumedAt = Date.now();
          status.controllerPause = false;
          index += 1;
          continue;
        }
        const seconds = durationSeconds(step.pause.duration);
        const started = this.pauseStartedAt.get(key) ?? Date.parse(pause!.startTime);
        if (seconds !== undefined && Date.now() >= started + seconds * this.secondMs) {
          // CompletedCanaryPauseStep: the duration has passed.
          status.pauseConditions = status.pauseConditions!.filter((c) => c !== pause);
          if (!status.pauseConditions.length) delete status.pauseConditions;
          status.controllerPause = false;
          index += 1;
          continue;
        }
        break;
      }
      const wanted = this.canaryReplicas(step, steps, index, replicas);
      if (ready < wanted || bad) {
        this.scaleCanary(key, application, rollout, wanted, bad);
        break;
      }
      this.setCounts(rollout, wanted, bad);
      index += 1;
    }
    status.currentStepIndex = index;
  }

  /** Precise start of the current pause (startTime has whole seconds; tests shrink seconds). */
  private readonly pauseStartedAt = new Map<string, number>();

  /** Canary replicas a step asks for (basic canary: ceil(weight × replicas / 100); setCanaryScale as given). */
  private canaryReplicas(step: FakeCanaryStep, steps: FakeCanaryStep[], index: number, replicas: number): number {
    if ('setCanaryScale' in step) {
      if (step.setCanaryScale.replicas !== undefined) return Math.min(step.setCanaryScale.replicas, replicas);
      const weight = step.setCanaryScale.weight ?? currentSetWeight(steps, index);
      return Math.ceil((weight * replicas) / 100);
    }
    const weight = 'setWeight' in step ? step.setWeight : currentSetWeight(steps, index);
    return Math.ceil((weight * replicas) / 100);
  }

  /** Pods of the new template come up after podReadyMs; bad ones never do, and time out (ProgressDeadlineExceeded). */
  private scaleCanary(key: string, _application: string, rollout: FakeRollout, wanted: number, bad: boolean): void {
    const { status } = rollout;
    status.updatedReplicas = wanted;
    status.replicas = Math.max(rollout.spec.replicas, wanted);
    if (bad) {
      status.availableReplicas = rollout.spec.replicas - wanted;
      status.readyReplicas = status.availableReplicas;
      const started = this.progressStarted.get(key) ?? Date.now();
      const deadline = started + rollout.spec.progressDeadlineSeconds * this.secondMs;
      if (Date.now() >= deadline) {
        const message = `ReplicaSet "${rollout.metadata.name}-${status.currentPodHash}" has timed out progressing.`;
        this.setCondition(rollout, 'Progressing', 'False', 'ProgressDeadlineExceeded', message);
      } else this.later(Math.max(deadline - Date.now(), 1) + 1, () => this.reconcile(key));
      return;
    }
    this.later(this.podReadyMs, () => {
      this.canaryReady.set(key, Math.max(this.canaryReady.get(key) ?? 0, wanted));
      this.reconcile(key);
    });
  }

  private setCounts(rollout: FakeRollout, canary: number, bad: boolean): void {
    const { status, spec } = rollout;
    status.updatedReplicas = canary;
    status.replicas = spec.replicas;
    status.availableReplicas = bad ? spec.replicas - canary : spec.replicas;
    status.readyReplicas = status.availableReplicas;
    if (status.stableRS === status.currentPodHash) status.updatedReplicas = spec.replicas;
  }

  private reconcileBlueGreen(key: string, rollout: FakeRollout): void {
    const { spec, status } = rollout;
    const blueGreen = spec.strategy.blueGreen!;
    const ready = this.canaryReady.get(key) ?? 0;
    if (status.abort) {
      // Aborted: the active service stays on stable, the preview pods are scaled down.
      delete status.pauseConditions;
      status.controllerPause = false;
      status.abortedAt ??= now();
      status.updatedReplicas = 0;
      status.availableReplicas = spec.replicas;
      this.setCondition(
        rollout,
        'Progressing',
        'False',
        'RolloutAborted',
        `Rollout aborted update to revision ${this.revision.get(key)}`,
      );
      return;
    }
    if (status.blueGreen.activeSelector === status.currentPodHash) {
      status.stableRS = status.currentPodHash;
      this.setCounts(rollout, spec.replicas, false);
      return;
    }
    if (ready < spec.replicas) {
      status.updatedReplicas = spec.replicas;
      status.replicas = spec.replicas * 2;
      status.availableReplicas = spec.replicas;
      this.later(this.podReadyMs, () => {
        this.canaryReady.set(key, spec.replicas);
        this.reconcile(key);
      });
      return;
    }
    status.blueGreen.previewSelector = status.currentPodHash;
    status.availableReplicas = spec.replicas;
    const promote = () => {
      status.blueGreen.activeSelector = status.currentPodHash;
      status.stableRS = status.currentPodHash;
      status.controllerPause = false;
      status.replicas = spec.replicas;
      status.updatedReplicas = spec.replicas;
    };
    if (status.promoteFull) return promote();
    const pause = status.pauseConditions?.find((c) => c.reason === 'BlueGreenPause');
    if (blueGreen.autoPromotionEnabled === false && !status.controllerPause) {
      status.pauseConditions = [{ reason: 'BlueGreenPause', startTime: now() }];
      status.controllerPause = true;
      return;
    }
    if (pause) return;
    promote();
  }

  /** utils/rollout/rolloututil.go CalculateRolloutPhase. */
  private setPhase(rollout: FakeRollout): void {
    const { spec, status } = rollout;
    const set = (phase: FakeRollout['status']['phase'], message: string) => {
      status.phase = phase;
      status.message = message;
    };
    for (const c of status.conditions) {
      if (c.type === 'InvalidSpec') return set('Degraded', `InvalidSpec: ${c.message}`);
      if (c.reason === 'RolloutAborted' || c.reason === 'ProgressDeadlineExceeded') {
        return set('Degraded', `${c.reason}: ${c.message}`);
      }
    }
    if (spec.paused) return set('Paused', 'manually paused');
    const pause = status.pauseConditions?.[0];
    if (pause) return set('Paused', pause.reason);
    if (status.updatedReplicas < spec.replicas) return set('Progressing', 'more replicas need to be updated');
    if (status.availableReplicas < status.updatedReplicas) {
      return set('Progressing', 'updated replicas are still becoming available');
    }
    if (spec.strategy.blueGreen) {
      if (status.blueGreen.activeSelector !== status.currentPodHash) {
        return set('Progressing', 'active service cutover pending');
      }
    } else if (status.replicas > status.updatedReplicas) {
      return set('Progressing', 'old replicas are pending termination');
    }
    if (!status.stableRS || status.stableRS !== status.currentPodHash) {
      return set('Progressing', 'waiting for all steps to complete');
    }
    set('Healthy', '');
  }

  private setCondition(
    rollout: FakeRollout,
    type: RolloutCondition['type'],
    value: RolloutCondition['status'],
    reason: string,
    message: string,
  ): void {
    const existing = rollout.status.conditions.find((c) => c.type === type);
    const at = now();
    if (existing && existing.reason === reason) return;
    const condition: RolloutCondition = {
      type,
      status: value,
      reason,
      message,
      lastUpdateTime: at,
      lastTransitionTime: at,
    };
    rollout.status.conditions = [...rollout.status.conditions.filter((c) => c.type !== type), condition];
  }
}
