{{/* Names and labels. */}}
{{- define "glimpse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "glimpse.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "glimpse.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "glimpse.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "glimpse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "glimpse.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "glimpse.labels" -}}
{{ include "glimpse.selectorLabels" . }}
app.kubernetes.io/part-of: glimpse
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "glimpse.image" -}}
{{ printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "glimpse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "glimpse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "glimpse.secretName" -}}
{{- default (printf "%s-credentials" (include "glimpse.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{/* The Secret the migration hook reads: it must exist before the release's own resources do. */}}
{{- define "glimpse.migrationSecretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- printf "%s-migrate" (include "glimpse.fullname" .) }}
{{- end }}
{{- end }}

{{/*
The configuration in Glance's ini layout. The chart's settings first, then .Values.config laid
over them, then the wiring the chart itself relies on (ports, transport, bus), which always wins.
*/}}
{{- define "glimpse.configValues" -}}
{{- $v := .Values }}
{{- $base := dict
  "DEFAULT" (dict "data_dir" "/var/lib/glimpse")
  "database" (dict "auto_migrate" (not $v.migrations.enabled) "max_pool_size" $v.database.maxPoolSize)
  "glance_store" (dict
    "stores" (list "s3" "http")
    "default_store" "s3"
    "s3_store_host" $v.s3.host
    "s3_store_bucket" $v.s3.bucket
    "s3_store_region_name" $v.s3.region
    "s3_store_bucket_url_format" $v.s3.bucketUrlFormat
    "s3_store_create_bucket_on_put" $v.s3.createBucketOnPut)
}}
{{- if $v.cacheAgent.enabled }}
{{- $_ := mustMergeOverwrite $base.DEFAULT (dict
  "image_cache_driver" $v.cache.driver
  "image_cache_max_size" $v.cache.maxSize
  "image_cache_stall_time" $v.cache.stallTime) }}
{{- end }}
{{- $wiring := dict
  "DEFAULT" (dict "bind_host" "0.0.0.0" "bind_port" $v.api.port "transport" "nats")
  "bus" (dict "nats_url" $v.nats.url "bus_namespace" $v.nats.namespace)
  "registry" (dict "registry_health_port" $v.registry.healthPort)
  "cache_agent" (dict "cache_agent_port" $v.cacheAgent.port)
  "scrubber" (dict "scrubber_health_port" $v.scrubber.healthPort)
  "pruner" (dict "pruner_health_port" $v.pruner.healthPort)
}}
{{- /* The cache is on (the agents cache, the API serves /v2/cache, the pruner schedules) when image_cache_dir is set. */}}
{{- if $v.cacheAgent.enabled }}
{{- $_ := set $wiring.DEFAULT "image_cache_dir" $v.cache.dir }}
{{- end }}
{{- mustMergeOverwrite $base (deepCopy ($v.config | default dict)) $wiring | toYaml }}
{{- end }}

{{/* One ini value: lists comma-separated, whole numbers without an exponent. */}}
{{- define "glimpse.iniValue" -}}
{{- if kindIs "slice" . }}
{{- $items := list }}
{{- range . }}{{ $items = append $items (include "glimpse.iniValue" .) }}{{ end }}
{{- join ", " $items }}
{{- else if and (kindIs "float64" .) (eq (float64 (int64 .)) .) }}
{{- int64 . }}
{{- else }}
{{- . }}
{{- end }}
{{- end }}

{{/* Sections in order ([DEFAULT] first), options sorted; unset (null) options and empty sections left out. */}}
{{- define "glimpse.ini" -}}
{{- $sections := list }}
{{- range $section, $options := . }}
{{- $lines := list }}
{{- range $name, $value := $options }}
{{- if not (kindIs "invalid" $value) }}
{{- $lines = append $lines (printf "%s = %s" $name (include "glimpse.iniValue" $value)) }}
{{- end }}
{{- end }}
{{- if $lines }}
{{- $sections = append $sections (printf "[%s]\n%s\n" $section (join "\n" $lines)) }}
{{- end }}
{{- end }}
{{- join "\n" $sections }}
{{- end }}

{{/* The environment every Glimpse container gets. */}}
{{- define "glimpse.env.config" -}}
- name: GLIMPSE_CONFIG_FILE
  value: /etc/glimpse/glimpse.conf
{{- end }}

{{- define "glimpse.env.s3" -}}
- name: GLIMPSE_S3_STORE_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "glimpse.secretName" . }}
      key: {{ .Values.secrets.keys.s3AccessKey }}
- name: GLIMPSE_S3_STORE_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "glimpse.secretName" . }}
      key: {{ .Values.secrets.keys.s3SecretKey }}
{{- end }}

{{/* [database] connection, with the password from a Secret (URL-encoded there). */}}
{{- define "glimpse.env.database" -}}
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .root.Values.secrets.keys.databasePassword }}
- name: GLIMPSE_CONNECTION
  value: {{ printf "mysql://%s:$(DATABASE_PASSWORD)@%s:%v/%s" .root.Values.database.user .root.Values.database.host .root.Values.database.port .root.Values.database.name | quote }}
{{- end }}

{{/* Liveness and readiness on the app's own HTTP port (named "http"). */}}
{{- define "glimpse.probes" -}}
{{- range $kind, $probe := dict "livenessProbe" .Values.probes.liveness "readinessProbe" .Values.probes.readiness }}
{{ $kind }}:
  httpGet:
    path: {{ $probe.path }}
    port: http
  initialDelaySeconds: {{ $probe.initialDelaySeconds }}
  periodSeconds: {{ $probe.periodSeconds }}
  timeoutSeconds: {{ $probe.timeoutSeconds }}
  failureThreshold: {{ $probe.failureThreshold }}
{{- end }}
{{- end }}

{{/* Pod-level settings every Glimpse pod shares; .app is the app's values. */}}
{{- define "glimpse.podCommon" -}}
serviceAccountName: {{ include "glimpse.serviceAccountName" .root }}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .app.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .app.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .app.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Pod metadata: labels and a checksum of the configuration, so a change rolls the pods. */}}
{{- define "glimpse.podMetadata" -}}
labels:
  {{- include "glimpse.labels" (dict "root" .root "component" .component) | nindent 2 }}
  {{- with .root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  checksum/config: {{ include (print .root.Template.BasePath "/configmap.yaml") .root | sha256sum }}
  {{- with .root.Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{- define "glimpse.volumeMounts" -}}
- name: config
  mountPath: /etc/glimpse
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "glimpse.volumes" -}}
- name: config
  configMap:
    name: {{ include "glimpse.fullname" . }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}
