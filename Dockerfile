# syntax=docker/dockerfile:1
# DataForge Gateway container image: build with the SDK, run on a chiseled (distroless) ASP.NET runtime as
# non-root. No secret is baked in: configuration comes from the environment, a ConfigMap and mounted secrets.
#
#   docker build -t dataforge-gateway .
#   docker buildx build --platform linux/amd64,linux/arm64 --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg SDK_DIGEST=sha256:... --build-arg RUNTIME_DIGEST=sha256:... -t registry.internal/dataforge-gateway:0.1.0 --push .
#   docker run --rm -p 8080:8080 -p 8081:8081 --read-only --tmpfs /tmp \
#     -e Gateway__DefaultEnvironment=stage -e Gateway__Environments__stage__BaseUrl=... (see README) dataforge-gateway

ARG DOTNET_VERSION=10.0
# Base images pinned by digest for reproducible builds: set these to the digests your registry mirrors
# (docker buildx imagetools inspect mcr.microsoft.com/dotnet/sdk:10.0). Empty: the tag alone, as published today.
ARG SDK_DIGEST=""
ARG RUNTIME_DIGEST=""

# The SDK runs on the build machine's own platform (no emulation) and cross-publishes for the target's.
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}${SDK_DIGEST:+@}${SDK_DIGEST} AS build
ARG TARGETARCH
WORKDIR /src
# Restore as its own layer: it is re-run only when a project or package version changes.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/DataForgeGateway/DataForgeGateway.csproj src/DataForgeGateway/
RUN dotnet restore src/DataForgeGateway/DataForgeGateway.csproj -a "$TARGETARCH"
COPY src/DataForgeGateway/ src/DataForgeGateway/
RUN dotnet publish src/DataForgeGateway/DataForgeGateway.csproj -c Release -a "$TARGETARCH" -o /app --no-restore -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble-chiseled${RUNTIME_DIGEST:+@}${RUNTIME_DIGEST} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="DataForge Gateway" \
      org.opencontainers.image.description="Authenticating gateway for the DataForge External API: API keys or workload identity in, an Auth0 M2M token shared through Redis out" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/dataforge/dataforge-gateway" \
      org.opencontainers.image.licenses="Proprietary" \
      org.opencontainers.image.base.name="mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble-chiseled"
WORKDIR /app
COPY --from=build /app ./
# Proxy on 8080, health on 8081 (never exposed by the ingress). Both can be changed by configuration.
ENV ASPNETCORE_HTTP_PORTS=8080 \
    Gateway__Management__Url=http://*:8081
EXPOSE 8080 8081
# The chiseled image's non-root user (UID 1654); the root filesystem can be mounted read-only.
USER $APP_UID
ENTRYPOINT ["dotnet", "DataForgeGateway.dll"]
