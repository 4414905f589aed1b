"""The data map: where personal data lives, why, and what a request may do to it."""

from custos.datamap.datamap import CollectionInfo, DataMap, Edge, EntryPoint
from custos.datamap.duration import Duration
from custos.datamap.loader import default_map_path, load_datamap, parse_datamap
from custos.datamap.models import (
    Collection,
    DataField,
    DataMapDocument,
    Dataset,
    ErasureException,
    LawfulBasis,
    Purpose,
    Recipient,
    Strategy,
    System,
)

__all__ = [
    "Collection",
    "CollectionInfo",
    "DataField",
    "DataMap",
    "DataMapDocument",
    "Dataset",
    "Duration",
    "Edge",
    "EntryPoint",
    "ErasureException",
    "LawfulBasis",
    "Purpose",
    "Recipient",
    "Strategy",
    "System",
    "default_map_path",
    "load_datamap",
    "parse_datamap",
]
