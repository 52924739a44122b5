# A container image of one of kiln's example apps (bookstore by default):
#
#   docker build -t bookstore .
#   docker run -p 8000:8000 -e KILN_SECRET_KEY=$(openssl rand -hex 32) bookstore
#   docker build --build-arg APP=shortly -t shortly .
#
# Stage one builds the release binary; stage two is a slim Debian with that binary,
# the app's static files and nothing else. Templates are compiled into the binary.

ARG APP=bookstore

FROM rust:1-slim-bookworm AS build
ARG APP
WORKDIR /src
COPY . .
# The lock file is committed: the image builds what CI tested.
RUN cargo build --release --locked -p "$APP" && cp "target/release/$APP" /app
RUN mkdir -p /static \
    && if [ -d "examples/$APP/static" ]; then cp -r "examples/$APP/static/." /static/; fi

FROM debian:bookworm-slim
ARG APP
# Root certificates, for a DATABASE_URL or REDIS_URL over TLS; a user of its own.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home kiln
COPY --from=build /app /usr/local/bin/app
COPY --from=build /static /srv/static
USER kiln
WORKDIR /data
# HOST=0.0.0.0: inside a container the app must listen beyond loopback. PORT is what
# the host maps; the SQLite file lives in /data (mount a volume to keep it).
# KILN_SECRET_KEY is not set here on purpose: a release build that uses sessions
# refuses to start without one, and an image must not carry a secret.
ENV HOST=0.0.0.0 \
    PORT=8000 \
    STATIC_DIR=/srv/static \
    DATABASE_URL=sqlite:///data/${APP}.db
EXPOSE 8000
VOLUME ["/data"]
CMD ["/usr/local/bin/app"]
