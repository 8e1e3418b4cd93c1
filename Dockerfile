# zerodrop's image for people who build with a container engine. CI builds the
# same image without one (tools/image/build.sh, reproducible and checked); both
# give a static binary at /usr/local/bin/zerodrop, running as the non-root
# user 65532, writing nothing to the root filesystem (readOnlyRootFilesystem
# works), on a base with no shell.
#
#   docker build -t ghcr.io/zerodrop/zerodrop:dev .
#   docker run --rm -v "$PWD:/src:ro" -w /src ghcr.io/zerodrop/zerodrop:dev check -R manifests/

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# .git is not copied, so the binary cannot read its revision: pass the version
# (docker build --build-arg VERSION=v1.2.3 .) for `zerodrop version` to show.
ARG VERSION=""
# Static (no cgo), stripped, no build paths: the same source gives the same binary.
RUN CGO_ENABLED=0 go build -trimpath -tags kustomize_disable_go_plugin_support \
    -ldflags="-s -w -buildid= -X github.com/zerodrop/zerodrop/internal/cli.version=${VERSION}" \
    -o /out/zerodrop ./cmd/zerodrop

# distroless/static: CA certificates and /etc/passwd with nonroot (65532), no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/zerodrop /usr/local/bin/zerodrop
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/zerodrop"]
CMD ["--help"]
