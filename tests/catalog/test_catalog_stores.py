"""The catalog is one store per domain, sharing one database and one acting user."""

from __future__ import annotations

from pathlib import Path

from rowport.catalog import (
    Catalog,
    Importer,
    ModelStore,
    OntologyStore,
    ProjectStore,
    RowStore,
    SQLiteExportSource,
    SQLiteTaskStore,
)


def test_a_catalog_holds_one_store_per_domain(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "c.db", user_email="ann@example.com")
    try:
        stores = {
            "rows": RowStore,
            "ontologies": OntologyStore,
            "projects": ProjectStore,
            "models": ModelStore,
            "tasks": SQLiteTaskStore,
            "reads": SQLiteExportSource,
            "importer": Importer,
        }
        for name, cls in stores.items():
            store = getattr(catalog, name)
            assert type(store) is cls, name
            assert store.db is catalog.db, name
        assert catalog.rows.actor is catalog.actor
        assert catalog.actor.user_email == "ann@example.com"
        assert catalog.projects.rows is catalog.rows
        assert catalog.models.projects is catalog.projects
        assert catalog.reads.models is catalog.models
    finally:
        catalog.close()


def test_stores_are_plain_classes_not_a_mixin_chain() -> None:
    for cls in (RowStore, OntologyStore, ProjectStore, ModelStore, SQLiteTaskStore):
        assert cls.__mro__ == (cls, object)
    assert Catalog.__mro__ == (Catalog, object)


def test_a_second_catalog_on_the_same_file_acts_in_the_same_organization(tmp_path: Path) -> None:
    first = Catalog(tmp_path / "c.db")
    second = Catalog(tmp_path / "c.db", user_email="bob@example.com")
    try:
        dataset = first.rows.create_dataset("shared")
        assert second.rows.get_dataset(dataset["id"])["name"] == "shared"
        assert second.organization_id == first.organization_id
    finally:
        first.close()
        second.close()
