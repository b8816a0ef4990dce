"""Customers, their phone numbers (E.164, indexed) and the products they bought."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cti.store.base import Base, UTCDateTime, utcnow


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    tier: Mapped[str] = mapped_column(String(20), default="standard")
    notes: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    district: Mapped[str] = mapped_column(String(100), default="")  # for dispatch by region
    address: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerPhone.id"
    )
    products: Mapped[list[Product]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Product.purchase_date.desc()"
    )


class CustomerPhone(Base):
    """One number of a customer. Several customers may share a number (a switchboard, a family)."""

    __tablename__ = "customer_phones"
    __table_args__ = (UniqueConstraint("customer_id", "e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    e164: Mapped[str] = mapped_column(String(20), index=True)
    raw: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(20), default="")
    label: Mapped[str] = mapped_column(String(40), default="")

    customer: Mapped[Customer] = relationship(back_populates="phones")


class Product(Base):
    """A product the customer bought; warranty runs ``warranty_months`` from ``purchase_date``."""

    __tablename__ = "products"
    __table_args__ = (Index("ix_products_model_purchase", "model", "purchase_date"),)  # units sold (reports), from the index

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    model: Mapped[str] = mapped_column(String(100))
    serial: Mapped[str] = mapped_column(String(100), default="", index=True)
    purchase_date: Mapped[dt.date] = mapped_column(Date)
    warranty_months: Mapped[int] = mapped_column(Integer, default=12)

    customer: Mapped[Customer] = relationship(back_populates="products")
