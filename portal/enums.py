"""Enums are stored as their string values, never as native database enums,
so adding a value needs no ALTER TYPE."""

import enum

from sqlalchemy import Enum


def string_enum(enum_class: type[enum.Enum]) -> Enum:
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=max(len(member.value) for member in enum_class) + 8,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
