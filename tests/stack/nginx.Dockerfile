# A stand-in for nginx:1.27-alpine, for the stack test only: that image cannot be pulled
# where the tests run (no registry), so Debian's nginx is installed on the one base image
# there is. Like the official image it reads /etc/nginx/conf.d/*.conf from the http block
# (docker-compose.yml mounts deploy/nginx/sla-tracker.conf there) and runs in the
# foreground; Debian's own default site is removed so that it cannot answer instead.
FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log
EXPOSE 80 443
CMD ["nginx", "-g", "daemon off;"]
