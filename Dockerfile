# Multi-stage image of the platform node (silo + web in one process).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/CloudFran.Host/CloudFran.Host.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    CLOUDFRAN_SILO_PORT=11111 \
    CLOUDFRAN_GATEWAY_PORT=30000 \
    CLOUDFRAN_LOG_FORMAT=json
EXPOSE 8080 11111 30000
# SIGTERM → stop accepting, drain requests, persist, leave the cluster (HostOptions.ShutdownTimeout = 30 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "CloudFran.Host.dll"]
