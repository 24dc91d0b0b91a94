# The read store where no MongoDB image can be had: nx-27017, the MongoDB wire-protocol server on
# SQLite the test suite already runs (a standalone server, no replica set), at the versions uv.lock
# pins (constraints.txt, exported from it). Not MongoDB: for tests of this project only.
ARG BASE_IMAGE=migrator-local/bookworm:latest
ARG UV_IMAGE=migrator-local/uv:latest
FROM ${UV_IMAGE} AS uv

FROM ${BASE_IMAGE}
COPY --from=uv /uv /usr/local/bin/uv
COPY constraints.txt /tmp/constraints.txt
# build-ca: as in the project's Dockerfile, an extra CA bundle for networks that inspect TLS.
RUN --mount=type=secret,id=build-ca \
    if [ -s /run/secrets/build-ca ]; then export SSL_CERT_FILE=/run/secrets/build-ca; fi \
    && uv venv --python python3.11 /opt/nx \
    && VIRTUAL_ENV=/opt/nx uv pip install --no-cache -c /tmp/constraints.txt nx-27017 \
    && rm /tmp/constraints.txt /usr/local/bin/uv \
    && install -d /data
EXPOSE 27017
CMD ["/opt/nx/bin/nx-27017", "--data-dir", "/data", "--host", "0.0.0.0", "-p", "27017"]
