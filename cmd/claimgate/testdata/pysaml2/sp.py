#!/usr/bin/python3
"""An independent SAML 2.0 service provider for claimgate's interop test.

Everything SAML here is done by pysaml2 (Debian's python3-pysaml2), not by
claimgate: this file only turns pysaml2's API into a one-shot command line
that cmd/claimgate/saml2_pysaml2_e2e_test.go runs step by step. pysaml2
itself runs the xmlsec1 binary for signatures and decryption.

  sp.py metadata --out FILE COMMON   the SP's metadata, signed with its key
  sp.py login [--sign] COMMON        an AuthnRequest for HTTP-Redirect:
                                     prints {"request_id", "relay_state", "url",
                                     "signed", "sig_alg"}
  sp.py acs --response FILE --relay-state R --request-id ID --sent-relay-state S COMMON
                                     validates the POSTed SAMLResponse: prints
                                     what pysaml2 accepted, or exits 1 with
                                     "refused: ExceptionClass: why" last

COMMON (the SP's own configuration, the same on every call):
  --entity-id ID --acs URL --sign-key F --sign-cert F --enc-key F --enc-cert F
  [--idp-metadata F] [--name-id-format URI] [--authn-requests-signed]

Each call builds the same SPConfig again; the only state carried from login
to acs is the outstanding request id, which the test passes back, as a web
SP keeps it in its session.
"""

import argparse
import base64
import json
import secrets
import sys
import traceback
import urllib.parse

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor, sign_entity_descriptor
from saml2.samlp import response_from_string
from saml2.sigver import get_xmlsec_binary, security_context
from saml2.validate import valid_instance
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256


def sp_config(a):
    """The SPConfig every subcommand uses, from the COMMON options."""
    sp = {
        "endpoints": {"assertion_consumer_service": [(a.acs, BINDING_HTTP_POST)]},
        # Announced in the metadata (AuthnRequestsSigned) and what
        # claimgate then requires of this SP.
        "authn_requests_signed": a.authn_requests_signed,
        # The assertion must be signed; the Response around it need not be
        # (claimgate signs it only with sign_response).
        "want_assertions_signed": True,
        "want_response_signed": False,
        # Only answers to a request this SP made are accepted: the
        # InResponseTo check.
        "allow_unsolicited": False,
    }
    if a.name_id_format:
        # In the metadata (one NameIDFormat, to which claimgate pins the SP)
        # and as the request's NameIDPolicy Format.
        sp["name_id_format"] = [a.name_id_format]
        sp["name_id_policy_format"] = a.name_id_format
    conf = {
        "entityid": a.entity_id,
        "key_file": a.sign_key,
        "cert_file": a.sign_cert,
        "encryption_keypairs": [{"key_file": a.enc_key, "cert_file": a.enc_cert}],
        "xmlsec_binary": get_xmlsec_binary(["/usr/bin"]),
        # pysaml2 7 still defaults to RSA-SHA1, which claimgate refuses by
        # default (signature_algorithm rsa-sha256).
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        # claimgate names attributes by their claim-type URI; without a map
        # for them pysaml2 would drop them instead of reporting them.
        "allow_unknown_attributes": True,
        "service": {"sp": sp},
    }
    if a.idp_metadata:
        conf["metadata"] = {"local": [a.idp_metadata]}
    c = SPConfig()
    c.load(conf)
    return c


def cmd_metadata(a):
    """Writes the SP's own metadata, signed by pysaml2 with the SP's key.

    These are the steps of pysaml2's create_metadata_string, which signs
    with its RSA-SHA1 default and takes no algorithm; claimgate pins the
    signing certificate's thumbprint (metadata.signing_thumbprints).
    """
    conf = sp_config(a)
    ed, doc = sign_entity_descriptor(entity_descriptor(conf), None, security_context(conf),
                                     sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
    valid_instance(ed)
    with open(a.out, "wb") as f:
        f.write(doc if isinstance(doc, bytes) else doc.encode())
    return {"written": a.out, "entity_id": ed.entity_id}


def cmd_login(a):
    """Builds the AuthnRequest for the only IdP in the metadata."""
    client = Saml2Client(config=sp_config(a))
    idps = list(client.metadata.with_descriptor("idpsso").keys())
    if len(idps) != 1:
        raise ValueError("want exactly one IdP in the metadata, found %r" % idps)
    relay = secrets.token_urlsafe(24)
    req_id, info = client.prepare_for_authenticate(
        entityid=idps[0], relay_state=relay, binding=BINDING_HTTP_REDIRECT,
        sign=a.sign, sigalg=SIG_RSA_SHA256 if a.sign else None)
    url = dict(info["headers"])["Location"]
    # Report what pysaml2 actually put in the query, so the test can tell
    # a signed request from an unsigned one without trusting this flag.
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    return {"request_id": req_id, "relay_state": relay, "url": url,
            "signed": "Signature" in q, "sig_alg": q.get("SigAlg", [""])[0]}


def cmd_acs(a):
    """Validates a POSTed Response as pysaml2's own ACS would."""
    client = Saml2Client(config=sp_config(a))
    with open(a.response) as f:
        encoded = f.read().strip()
    # Read before pysaml2 decrypts it in place: did it arrive encrypted?
    raw = response_from_string(base64.b64decode(encoded).decode())
    encrypted = len(raw.encrypted_assertion) > 0 and len(raw.assertion) == 0
    # outstanding maps the request id to what the SP remembered with it
    # (its RelayState): anything else is unsolicited and refused.
    resp = client.parse_authn_request_response(
        encoded, BINDING_HTTP_POST, outstanding={a.request_id: a.sent_relay_state})
    if resp is None:
        raise ValueError("pysaml2 could not unravel the Response")
    if resp.assertion is None:
        # pysaml2 7 returns a Response whose EncryptedAssertion it could not
        # decrypt without an error; an SP must not take that as a sign-in.
        raise ValueError("pysaml2 found no assertion it could read (or decrypt)")
    if resp.came_from != a.relay_state:
        raise ValueError("RelayState %r came back, %r was sent" % (a.relay_state, resp.came_from))
    ident = resp.get_identity()
    subject = resp.get_subject()
    ctx = resp.assertion.authn_statement[0].authn_context.authn_context_class_ref
    return {
        "name_id": subject.text,
        "format": subject.format,
        "attributes": ident,
        "issuer": resp.issuer(),
        "in_response_to": resp.in_response_to,
        "encrypted": encrypted,
        "authn_context": ctx.text if ctx is not None else "",
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    cmds = {
        "metadata": sub.add_parser("metadata"),
        "login": sub.add_parser("login"),
        "acs": sub.add_parser("acs"),
    }
    for s in cmds.values():
        s.add_argument("--entity-id", required=True)
        s.add_argument("--acs", required=True)
        for k in ("sign-key", "sign-cert", "enc-key", "enc-cert"):
            s.add_argument("--" + k, required=True)
        s.add_argument("--idp-metadata")
        s.add_argument("--name-id-format")
        s.add_argument("--authn-requests-signed", action="store_true")
    cmds["metadata"].add_argument("--out", required=True)
    cmds["login"].add_argument("--sign", action="store_true")
    for k in ("response", "relay-state", "request-id", "sent-relay-state"):
        cmds["acs"].add_argument("--" + k, required=True)
    a = p.parse_args()
    try:
        out = {"metadata": cmd_metadata, "login": cmd_login, "acs": cmd_acs}[a.cmd](a)
    except Exception as e:  # pylint: disable=broad-except
        # The traceback for a person; the last line, with pysaml2's
        # exception class, for the test to tell one refusal from another.
        traceback.print_exc()
        sys.exit("refused: %s: %s" % (type(e).__name__, e))
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
