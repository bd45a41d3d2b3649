#!/bin/sh
# A backend behind Gatehouse: prints what the web server tells it about the
# user.  Apache sets REMOTE_USER (and the GATEHOUSE_* variables), and so
# does nginx (through fcgiwrap, from the check's X-Gatehouse-* headers);
# lighttpd sets the GATEHOUSE_* variables from the check's Variable-* headers.
printf 'Content-Type: text/plain; charset=utf-8\r\n'
printf 'Cache-Control: no-store\r\n\r\n'
printf 'REMOTE_USER=%s\n' "${REMOTE_USER-}"
printf 'GATEHOUSE_USER=%s\n' "${GATEHOUSE_USER-}"
printf 'GATEHOUSE_USER_ID=%s\n' "${GATEHOUSE_USER_ID-}"
printf 'GATEHOUSE_EMAIL=%s\n' "${GATEHOUSE_EMAIL-}"
printf 'GATEHOUSE_ROLES=%s\n' "${GATEHOUSE_ROLES-}"
