#!/usr/bin/env bash
# Makes the TLS test certificates under test/fixtures/tls/ (committed; tests never regenerate
# them). Run it again only to replace the whole set:   bash scripts/make-test-certs.sh
#
#   ca.pem / ca.key                 "weft test CA" (EC P-256), the trust anchor of every test
#   localhost.pem / .key            leaf for DNS:localhost + IP:127.0.0.1 (chain: leaf, then CA)
#   localhost.enc.key               the same key, encrypted (AES-256, passphrase below)
#   localhost.pfx                   PKCS#12 of leaf + key + CA, passphrase below
#   a.weft.test.pem / .key          SNI name a (EC)
#   b.weft.test.pem / .key          SNI name b (RSA 2048, so ECDHE-RSA suites get exercised)
#   wild.weft.test.pem / .key       wildcard *.wild.weft.test
#   client.pem / .key               client certificate for mutual TLS (extendedKeyUsage clientAuth)
#   revoked.pem / .key              leaf for revoked.weft.test, marked revoked in the CA index
#   expired.pem / .key              leaf for localhost that expired in 2001
#   other-ca.pem / .key             an unrelated CA ("wrong CA" negative tests)
#   other.pem / .key                localhost leaf signed by other-ca
#   other-client.pem / .key         client certificate signed by other-ca
#   ocsp/index.txt(.attr), serial   the CA database, for `openssl ocsp -index` at test time
#
# Validity is 20 years: the 398/825-day caps apply to publicly trusted CAs, not to a private
# test CA, and neither OpenSSL nor Node enforce them. Keys are EC P-256 unless noted.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=test/fixtures/tls
PASS=weft-test-passphrase
DAYS=7300
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

rm -rf "$OUT"
mkdir -p "$OUT/ocsp"

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

# A self-signed CA. $1: file stem, $2: common name.
make_ca() {
  ec_key "$OUT/$1.key"
  openssl req -x509 -new -key "$OUT/$1.key" -out "$OUT/$1.pem" -days "$DAYS" -subj "/O=weft/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

# `openssl ca` (not `x509 -req`) so the CA keeps an index for the OCSP responder and so the
# expired certificate can get explicit start and end dates.
cat >"$WORK/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $OUT
database = \$dir/ocsp/index.txt
serial = \$dir/ocsp/serial
new_certs_dir = $WORK
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ any ]
organizationName = optional
commonName = supplied
[ server ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = \$ENV::SAN
authorityInfoAccess = OCSP;URI:http://127.0.0.1:9/ocsp
[ client ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
EOF

# A leaf signed by CA $1. $2: stem, $3: key type (ec|rsa), $4: CN, $5: extension section,
# $6: subjectAltName, $7...: extra `openssl ca` arguments (dates).
make_leaf() {
  local ca=$1 stem=$2 type=$3 cn=$4 ext=$5 san=$6
  shift 6
  "${type}_key" "$OUT/$stem.key"
  openssl req -new -key "$OUT/$stem.key" -out "$WORK/$stem.csr" -subj "/O=weft/CN=$cn"
  if [ "$ca" = ca ]; then
    SAN="$san" openssl ca -batch -notext -config "$WORK/ca.cnf" -extensions "$ext" -in "$WORK/$stem.csr" \
      -out "$WORK/$stem.crt" "$@" 2>/dev/null
  else
    # The other CA keeps no database: nothing asks it about OCSP.
    SAN="$san" openssl x509 -req -in "$WORK/$stem.csr" -CA "$OUT/$ca.pem" -CAkey "$OUT/$ca.key" \
      -set_serial "0x$(openssl rand -hex 8)" -extfile "$WORK/ca.cnf" -extensions "$ext" -out "$WORK/$stem.crt" "$@" 2>/dev/null
  fi
  cat "$WORK/$stem.crt" "$OUT/$ca.pem" >"$OUT/$stem.pem"   # leaf first, then its issuer
}

make_ca ca "weft test CA"
make_ca other-ca "weft other CA"
: >"$OUT/ocsp/index.txt"
echo 1000 >"$OUT/ocsp/serial"

make_leaf ca localhost ec localhost server "DNS:localhost,IP:127.0.0.1,IP:::1" -days "$DAYS"
make_leaf ca a.weft.test ec a.weft.test server "DNS:a.weft.test" -days "$DAYS"
make_leaf ca b.weft.test rsa b.weft.test server "DNS:b.weft.test" -days "$DAYS"
make_leaf ca wild.weft.test ec "*.wild.weft.test" server "DNS:*.wild.weft.test" -days "$DAYS"
make_leaf ca revoked ec revoked.weft.test server "DNS:revoked.weft.test" -days "$DAYS"
make_leaf ca expired ec localhost server "DNS:localhost,IP:127.0.0.1" -startdate 20000101000000Z -enddate 20010101000000Z
make_leaf ca client ec "weft test client" client "DNS:unused" -days "$DAYS"
SAN=unused openssl ca -config "$WORK/ca.cnf" -revoke "$WORK/revoked.crt" -crl_reason keyCompromise 2>/dev/null

make_leaf other-ca other ec localhost server "DNS:localhost,IP:127.0.0.1" -days "$DAYS"
make_leaf other-ca other-client ec "weft other client" client "DNS:unused" -days "$DAYS"

openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$OUT/localhost.key" -out "$OUT/localhost.enc.key" -passout "pass:$PASS"
openssl pkcs12 -export -in "$OUT/localhost.pem" -inkey "$OUT/localhost.key" -out "$OUT/localhost.pfx" \
  -name localhost -passout "pass:$PASS"
echo "$PASS" >"$OUT/passphrase.txt"
# index.txt.attr says unique_subject = no (two leaves are CN=localhost); openssl ocsp needs it.
rm -f "$OUT"/ocsp/*.old
echo "wrote $(ls "$OUT" | wc -l) files to $OUT"
