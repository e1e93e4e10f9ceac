#!/bin/sh
# Starts bearerbox, smsbox and the fake SMSC with the configuration filled in from the environment.
set -eu
conf=/tmp/kannel.conf
sed -e "s#@GUICHET_URL@#${GUICHET_URL}#g" \
    -e "s#@SECRET@#${SMS_KANNEL_CALLBACK_SECRET}#g" \
    -e "s#@ADMIN_PASSWORD@#${KANNEL_ADMIN_PASSWORD:-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}#g" \
    -e "s#@SENDSMS_PASSWORD@#${KANNEL_PASSWORD:-guichet}#g" /etc/kannel/kannel.conf.template > "$conf"
bearerbox "$conf" &
sleep 1
smsbox "$conf" &
# The fake SMSC keeps its stdin open (a FIFO) and prints what it receives.
mkfifo /tmp/fakesmsc.in
tail -f /dev/null > /tmp/fakesmsc.in &
exec /usr/lib/kannel/test/fakesmsc -H 127.0.0.1 -r 10000 -i 0 -m 0 < /tmp/fakesmsc.in
