{{/* Names: <release>-runway, or just the release name when it already says runway. */}}
{{- define "runway.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "runway.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component (api or worker): stable across upgrades. */}}
{{- define "runway.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "runway.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "runway.configMapName" -}}
{{- .Values.existingConfigMap | default (printf "%s-config" (include "runway.fullname" .)) -}}
{{- end -}}

{{- define "runway.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else if .Values.secrets.create -}}
{{- printf "%s-env" (include "runway.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* runway.yaml: `config` with the `temporal` values written over its temporal section. */}}
{{- define "runway.configYaml" -}}
{{- $temporal := dict "address" .Values.temporal.address "namespace" .Values.temporal.namespace "taskQueue" .Values.temporal.taskQueue -}}
{{- with .Values.temporal.uiUrl }}{{ $_ := set $temporal "uiUrl" . }}{{ end -}}
{{- if .Values.temporal.apiKey.existingSecret }}{{ $_ := set $temporal "apiKey" "${TEMPORAL_API_KEY}" }}{{ end -}}
{{- if .Values.temporal.tls.enabled -}}
{{- $tls := dict -}}
{{- with .Values.temporal.tls.serverName }}{{ $_ := set $tls "serverName" . }}{{ end -}}
{{- if .Values.temporal.tls.existingSecret -}}
{{- $_ := set $tls "caFile" "/etc/runway/temporal-tls/ca.crt" -}}
{{- $_ := set $tls "certFile" "/etc/runway/temporal-tls/tls.crt" -}}
{{- $_ := set $tls "keyFile" "/etc/runway/temporal-tls/tls.key" -}}
{{- end -}}
{{- $_ := set $temporal "tls" $tls -}}
{{- end -}}
{{- $config := mergeOverwrite (deepCopy (.Values.config | default dict)) (dict "temporal" $temporal) -}}
{{- toYaml $config -}}
{{- end -}}

{{/* Environment shared by both processes. */}}
{{- define "runway.env" -}}
- name: RUNWAY_CONFIG
  value: /etc/runway/runway.yaml
- name: NODE_ENV
  value: production
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
# Writable home for git; the root filesystem is read-only.
- name: HOME
  value: /tmp
{{- if .Values.temporal.apiKey.existingSecret }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.temporal.apiKey.existingSecret }}
      key: {{ .Values.temporal.apiKey.key }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "runway.envFrom" -}}
{{- with include "runway.secretName" . }}
envFrom:
  - secretRef:
      name: {{ . }}
{{- end }}
{{- end -}}

{{- define "runway.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "runway.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ['ALL']
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Volumes both pods mount: runway.yaml, /tmp, and the Temporal TLS files when configured. */}}
{{- define "runway.volumeMounts" -}}
- name: config
  mountPath: /etc/runway/runway.yaml
  subPath: runway.yaml
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- if and .Values.temporal.tls.enabled .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  mountPath: /etc/runway/temporal-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "runway.volumes" -}}
- name: config
  configMap:
    name: {{ include "runway.configMapName" . }}
    items:
      - key: runway.yaml
        path: runway.yaml
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- if and .Values.temporal.tls.enabled .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.existingSecret }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{/* Rolls both Deployments when runway.yaml or the chart-made Secret changes. */}}
{{- define "runway.checksums" -}}
checksum/config: {{ include "runway.configYaml" . | sha256sum }}
{{- if .Values.secrets.create }}
checksum/secret: {{ toYaml .Values.secrets.values | sha256sum }}
{{- end }}
{{- end -}}
