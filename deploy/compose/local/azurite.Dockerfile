# Azurite without a registry: Debian's Node.js on the local base, and the azurite package
# `make install` put in tools/node_modules (the version tools/package-lock.json pins). compose.yaml
# runs `azurite ...` and probes it with `node -e`, as with the official image.
ARG BASE_IMAGE=migrator-local/bookworm:latest
FROM ${BASE_IMAGE}
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs \
    && rm -rf /var/lib/apt/lists/*
COPY node_modules /opt/azurite/node_modules
ENV PATH=/opt/azurite/node_modules/.bin:$PATH
EXPOSE 10000 10001
CMD ["azurite", "--blobHost", "0.0.0.0", "--queueHost", "0.0.0.0", "--skipApiVersionCheck", "--disableTelemetry"]
