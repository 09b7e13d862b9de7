#!/bin/sh
# The county office's SSH account on a station (docs/ssh.md §1, docs/deploy.md §5). Run as root.
#
# Why one script: the station's data belong to one service account (the store and the signing
# key are owner-only, R-SEC-1). The county's Unix account may *run* the station terminal as that
# account through exactly one sudo rule, and its SSH session is always that terminal (ForceCommand):
# it can use the program but never read the key, copy the store or get a shell.
#
# Every name and path can be changed through the environment; the defaults are the ones the
# systemd units in deploy/systemd/ use. Running it twice changes nothing.
set -eu

SVC=${SVC:-cardstation}                    # owns the store and the key; nobody else reads them
RUN_GROUP=${RUN_GROUP:-cardstation-run}    # may run the terminal as $SVC, may not read its files
COUNTY=${COUNTY:-county}                   # the county office's Unix account (SSH key only)
DATA=${DATA:-/var/lib/cardstation}
BIN=${BIN:-/opt/cardstation/bin}
CARDSTATION=${CARDSTATION:-/opt/cardstation/venv/bin/cardstation}
SUDOERS=${SUDOERS:-/etc/sudoers.d/cardstation-county}
SSHD_CONF=${SSHD_CONF:-/etc/ssh/sshd_config.d/cardstation-county.conf}

getent group "$RUN_GROUP" >/dev/null || groupadd --system "$RUN_GROUP"
id -u "$SVC" >/dev/null 2>&1 || useradd --system --user-group --home-dir "$DATA" --shell /usr/sbin/nologin "$SVC"
id -u "$COUNTY" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$COUNTY"
usermod -aG "$RUN_GROUP" "$COUNTY"

# The data: the service account's alone (never g+rw: the key must stay 0600).
install -d -m 0700 -o "$SVC" -g "$SVC" "$DATA"
chown -R "$SVC:$SVC" "$DATA"
chmod -R go-rwx "$DATA"

# The one program the group may run as the service account. The store's path is fixed here,
# not by the session: the county cannot point the program at another file.
install -d -m 0755 "$BIN"
printf '%s\n' '#!/bin/sh' \
  '# The station terminal as the service account (started through sudo by the county session).' \
  "export CARDSTATION_DB='$DATA/station.db'" \
  'export LANG="${LANG:-zh_CN.UTF-8}" ESCDELAY="${ESCDELAY:-300}" TEXTUAL_ANIMATIONS=none' \
  "exec '$CARDSTATION' \"\$@\"" > "$BIN/station-terminal"
chown root:root "$BIN/station-terminal"
chmod 0755 "$BIN/station-terminal"

# The county's session (runs as the county account): always the station terminal, never a shell.
# ESCDELAY: a lone Esc over a jittery link (docs/ssh.md §3); mosh is optional (§2).
printf '%s\n' '#!/bin/sh' \
  '# The county office'"'"'s SSH session: always the station terminal, never a shell (docs/ssh.md).' \
  'export ESCDELAY="${ESCDELAY:-300}"' \
  'case "${SSH_ORIGINAL_COMMAND:-}" in' \
  '  "mosh-server "*)' \
  "    exec mosh-server new -s -c 8 -l LANG=\"\${LANG:-zh_CN.UTF-8}\" -- sudo -n -u '$SVC' '$BIN/station-terminal' run ;;" \
  'esac' \
  "exec sudo -n -u '$SVC' '$BIN/station-terminal' run" > "$BIN/county-session"
chown root:root "$BIN/county-session"
chmod 0755 "$BIN/county-session"

printf '%s\n' \
  "Defaults:%$RUN_GROUP env_keep += \"SSH_CLIENT SSH_CONNECTION TERM LANG ESCDELAY\"" \
  "%$RUN_GROUP ALL=($SVC) NOPASSWD: $BIN/station-terminal run, $BIN/station-terminal audit verify" \
  > "$SUDOERS.tmp"
chmod 0440 "$SUDOERS.tmp"
visudo -cqf "$SUDOERS.tmp" && mv "$SUDOERS.tmp" "$SUDOERS"

# Whatever the client asks for, the session is the station terminal: no shell, no copy, no
# forwards. A dead link is noticed after 30 s x 6 (docs/ssh.md §1).
install -d -m 0755 "$(dirname "$SSHD_CONF")"
printf '%s\n' \
  "# The county office's SSH account (written by deploy/ssh/setup-county.sh; docs/ssh.md)." \
  "Match User $COUNTY" \
  "    ForceCommand $BIN/county-session" \
  '    PermitTTY yes' \
  '    AllowTcpForwarding no' \
  '    AllowStreamLocalForwarding no' \
  '    AllowAgentForwarding no' \
  '    PermitTunnel no' \
  '    X11Forwarding no' \
  '    GatewayPorts no' \
  '    PermitUserRC no' \
  '    PasswordAuthentication no' \
  '    AuthenticationMethods publickey' \
  '    ClientAliveInterval 30' \
  '    ClientAliveCountMax 6' \
  '    SetEnv LANG=zh_CN.UTF-8' > "$SSHD_CONF"
chmod 0644 "$SSHD_CONF"

home=$(getent passwd "$COUNTY" | cut -d: -f6)
install -d -m 0700 -o "$COUNTY" -g "$COUNTY" "$home/.ssh"

echo "县局SSH账号已设置：$COUNTY（只能打开服务站终端）。"
echo "下一步：把县局的公钥放入 $home/.ssh/authorized_keys（属主 $COUNTY，权限0600），"
echo "然后执行 sshd -t && systemctl reload ssh 使配置生效。"
