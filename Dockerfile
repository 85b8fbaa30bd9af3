# syntax=docker/dockerfile:1
# DataForge Gateway container image: build with the SDK, run on a chiseled (distroless) ASP.NET runtime as
# non-root. No secret is baked in: configuration comes from the environment, a ConfigMap and mounted secrets.
#
#   docker build -t dataforge-gateway .
#   docker run --rm -p 8080:8080 -p 8081:8081 --read-only --tmpfs /tmp \
#     -e Gateway__DefaultEnvironment=stage -e Gateway__Environments__stage__BaseUrl=... (see README) dataforge-gateway

ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
# Restore as its own layer: it is re-run only when a project or package version changes.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/DataForgeGateway/DataForgeGateway.csproj src/DataForgeGateway/
RUN dotnet restore src/DataForgeGateway/DataForgeGateway.csproj
COPY src/DataForgeGateway/ src/DataForgeGateway/
RUN dotnet publish src/DataForgeGateway/DataForgeGateway.csproj -c Release -o /app --no-restore -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build /app ./
# Proxy on 8080, health on 8081 (never exposed by the ingress). Both can be changed by configuration.
ENV ASPNETCORE_HTTP_PORTS=8080 \
    Gateway__Management__Url=http://*:8081
EXPOSE 8080 8081
# The chiseled image's non-root user (UID 1654); the root filesystem can be mounted read-only.
USER $APP_UID
ENTRYPOINT ["dotnet", "DataForgeGateway.dll"]
