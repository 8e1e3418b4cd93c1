{{- define "echoserver.labels" -}}
app: {{ .Release.Name }}
{{- end }}
