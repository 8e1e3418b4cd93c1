{{/* Names and labels shared by the templates. */}}

{{- define "zerodrop.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "zerodrop.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "zerodrop.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "zerodrop.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "zerodrop.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "zerodrop.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "zerodrop.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zerodrop.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end }}

{{- define "zerodrop.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "zerodrop.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "zerodrop.image" -}}
{{ with .Values.image.registry }}{{ . }}/{{ end }}{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "zerodrop.certSecret" -}}
{{ include "zerodrop.fullname" . }}-tls
{{- end }}

{{/* The namespaceSelector both webhook configurations use. */}}
{{- define "zerodrop.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values:
      - {{ .Release.Namespace }}
      {{- range .Values.webhook.excludeNamespaces }}
      {{- if ne . $.Release.Namespace }}
      - {{ . }}
      {{- end }}
      {{- end }}
  {{- if .Values.webhook.optIn }}
  - key: zerodrop.dev/webhook
    operator: In
    values: ["warn", "enforce"]
  {{- else }}
  - key: zerodrop.dev/webhook
    operator: NotIn
    values: ["off"]
  {{- end }}
{{- end }}
