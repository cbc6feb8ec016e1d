"""The published R25 OCI-P schema, fetched at test time (never committed: the XSDs are BroadSoft's).

Source: the ``broadworks-ocip==3.0.0`` source distribution on PyPI, which carries ``ocip_schema/``
(143 XSD files). It is cached under ``$ONBOARD_OCIP_SCHEMA_CACHE`` or
``~/.cache/hosted-onboard/ocip-schema``. If it cannot be fetched, ``load_schema`` raises: schema
conformance tests must fail, not skip, when the schema is missing.

libxml2 does not resolve ``xsi:type="X"`` under ``xmlns=""`` (the wire form of every command), so a
document is validated as an equivalent re-serialized copy: the root prefixed (``c:BroadsoftDocument``)
and the unqualified children without the ``xmlns=""`` undeclaration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from functools import lru_cache
from pathlib import Path, PurePosixPath

from lxml import etree

from connectors.broadworks.ocip import OCI_NS, XSI_NS, OcipProtocolError, parse_xml

PACKAGE = "broadworks-ocip==3.0.0"
_XS = "{http://www.w3.org/2001/XMLSchema}"
_lock = threading.Lock()


def cache_root() -> Path:
    env = os.environ.get("ONBOARD_OCIP_SCHEMA_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "hosted-onboard" / "ocip-schema"


def _extract(sdist: Path, dest: Path) -> None:
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts
            if "ocip_schema" not in parts or not member.isfile():
                continue
            rel = PurePosixPath(*parts[parts.index("ocip_schema") + 1 :])
            if ".." in rel.parts or rel.is_absolute():
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(member)
            assert src is not None
            with src, target.open("wb") as fh:
                shutil.copyfileobj(src, fh)


def schema_dir() -> Path:
    """The folder holding OCISchemaAS.xsd, downloading and extracting it once."""
    final = cache_root() / "broadworks-ocip-3.0.0"
    with _lock:
        if (final / "OCISchemaAS.xsd").exists():
            return final
        with tempfile.TemporaryDirectory() as tmp:
            dl = Path(tmp) / "dl"
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", PACKAGE, "-d", str(dl)]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
            sdists = sorted(dl.glob("broadworks_ocip-3.0.0.tar.gz")) + sorted(dl.glob("*.tar.gz"))
            if proc.returncode != 0 or not sdists:
                raise RuntimeError(f"cannot fetch the OCI-P schema ({PACKAGE}): {proc.stderr[-2000:]}")
            staging = Path(tmp) / "schema"
            _extract(sdists[0], staging)
            if not (staging / "OCISchemaAS.xsd").exists():
                raise RuntimeError(f"{PACKAGE} sdist has no ocip_schema/OCISchemaAS.xsd")
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                shutil.rmtree(final)
            shutil.move(str(staging), str(final))
    return final


@lru_cache(maxsize=1)
def load_schema() -> etree.XMLSchema:
    """The whole R25 AS schema (current, deprecated and BASE) as one lxml validator."""
    folder = schema_dir()
    wrapper = folder / "_all.xsd"
    if not wrapper.exists():
        wrapper.write_text(
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
            f'<xs:import namespace="{OCI_NS}" schemaLocation="OCISchemaBASE.xsd"/>'
            '<xs:include schemaLocation="OCISchemaAS.xsd"/>'
            "</xs:schema>",
            encoding="utf-8",
        )
    return etree.XMLSchema(etree.parse(str(wrapper)))


def _copy(src: etree._Element, parent: etree._Element) -> None:
    el = etree.SubElement(parent, etree.QName(src).localname)
    for k, v in src.attrib.items():
        el.set(k, v)
    el.text = src.text
    for child in src:
        if isinstance(child.tag, str):
            _copy(child, el)


def validation_copy(xml_text: str | bytes) -> bytes:
    """The wire document re-serialized in a form libxml2 validates the same way."""
    wire = parse_xml(xml_text)
    if wire.tag != f"{{{OCI_NS}}}BroadsoftDocument":
        raise OcipProtocolError(f"not a BroadsoftDocument: {wire.tag!r}")
    root = etree.Element(f"{{{OCI_NS}}}BroadsoftDocument", nsmap={"c": OCI_NS, "xsi": XSI_NS})
    for k, v in wire.attrib.items():
        root.set(k, v)
    for child in wire:
        if isinstance(child.tag, str):
            if etree.QName(child).namespace:
                raise OcipProtocolError(f"{child.tag!r} must be unqualified")
            _copy(child, root)
    return bytes(etree.tostring(root))


def validate_document(xml_text: str | bytes) -> list[str]:
    """Schema errors of one BroadsoftDocument (empty = valid)."""
    schema = load_schema()
    try:
        doc = etree.fromstring(validation_copy(xml_text))
    except OcipProtocolError as exc:
        return [str(exc)]
    if schema.validate(doc):
        return []
    return [f"{e.line}: {e.message}" for e in schema.error_log]


@lru_cache(maxsize=1)
def service_enumerations() -> dict[str, frozenset[str]]:
    """The closed UserService and GroupService enumerations of the schema."""
    tree = etree.parse(str(schema_dir() / "OCISchemaDataTypes.xsd"))
    out: dict[str, frozenset[str]] = {}
    for kind, name in (("user", "UserService"), ("group", "GroupService")):
        found = tree.getroot().find(f"{_XS}simpleType[@name='{name}']")
        assert found is not None, name
        out[kind] = frozenset(e.get("value", "") for e in found.iter(f"{_XS}enumeration"))
    return out
