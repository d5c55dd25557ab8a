"""The eleven CRM member ministries, as loaded by ``flask ministries seed``.

Names follow each ministry's own usage in Spanish, English and French.
"""

from __future__ import annotations

from typing import TypedDict


class MinistryData(TypedDict):
    code: str
    name_es: str
    name_en: str
    name_fr: str
    country_es: str
    country_en: str
    country_fr: str


CRM_MINISTRIES: tuple[MinistryData, ...] = (
    {
        "code": "BZ",
        "name_es": "Ministerio de Relaciones Exteriores de Belice",
        "name_en": "Ministry of Foreign Affairs of Belize",
        "name_fr": "Ministère des Affaires étrangères du Belize",
        "country_es": "Belice",
        "country_en": "Belize",
        "country_fr": "Belize",
    },
    {
        "code": "CA",
        "name_es": "Asuntos Mundiales Canadá",
        "name_en": "Global Affairs Canada",
        "name_fr": "Affaires mondiales Canada",
        "country_es": "Canadá",
        "country_en": "Canada",
        "country_fr": "Canada",
    },
    {
        "code": "CR",
        "name_es": "Ministerio de Relaciones Exteriores y Culto de Costa Rica",
        "name_en": "Ministry of Foreign Affairs and Worship of Costa Rica",
        "name_fr": "Ministère des Affaires étrangères et du Culte du Costa Rica",
        "country_es": "Costa Rica",
        "country_en": "Costa Rica",
        "country_fr": "Costa Rica",
    },
    {
        "code": "SV",
        "name_es": "Ministerio de Relaciones Exteriores de El Salvador",
        "name_en": "Ministry of Foreign Affairs of El Salvador",
        "name_fr": "Ministère des Affaires étrangères du Salvador",
        "country_es": "El Salvador",
        "country_en": "El Salvador",
        "country_fr": "Salvador",
    },
    {
        "code": "GT",
        "name_es": "Ministerio de Relaciones Exteriores de Guatemala",
        "name_en": "Ministry of Foreign Affairs of Guatemala",
        "name_fr": "Ministère des Affaires étrangères du Guatemala",
        "country_es": "Guatemala",
        "country_en": "Guatemala",
        "country_fr": "Guatemala",
    },
    {
        "code": "HN",
        "name_es": "Secretaría de Relaciones Exteriores y Cooperación Internacional de Honduras",
        "name_en": "Ministry of Foreign Affairs and International Cooperation of Honduras",
        "name_fr": "Secrétariat des Relations extérieures et de la Coopération "
        "internationale du Honduras",
        "country_es": "Honduras",
        "country_en": "Honduras",
        "country_fr": "Honduras",
    },
    {
        "code": "MX",
        "name_es": "Secretaría de Relaciones Exteriores de México",
        "name_en": "Ministry of Foreign Affairs of Mexico",
        "name_fr": "Secrétariat des Relations extérieures du Mexique",
        "country_es": "México",
        "country_en": "Mexico",
        "country_fr": "Mexique",
    },
    {
        "code": "NI",
        "name_es": "Ministerio de Relaciones Exteriores de Nicaragua",
        "name_en": "Ministry of Foreign Affairs of Nicaragua",
        "name_fr": "Ministère des Affaires étrangères du Nicaragua",
        "country_es": "Nicaragua",
        "country_en": "Nicaragua",
        "country_fr": "Nicaragua",
    },
    {
        "code": "PA",
        "name_es": "Ministerio de Relaciones Exteriores de Panamá",
        "name_en": "Ministry of Foreign Affairs of Panama",
        "name_fr": "Ministère des Affaires étrangères du Panama",
        "country_es": "Panamá",
        "country_en": "Panama",
        "country_fr": "Panama",
    },
    {
        "code": "DO",
        "name_es": "Ministerio de Relaciones Exteriores de la República Dominicana",
        "name_en": "Ministry of Foreign Affairs of the Dominican Republic",
        "name_fr": "Ministère des Affaires étrangères de la République dominicaine",
        "country_es": "República Dominicana",
        "country_en": "Dominican Republic",
        "country_fr": "République dominicaine",
    },
    {
        "code": "US",
        "name_es": "Departamento de Estado de los Estados Unidos",
        "name_en": "United States Department of State",
        "name_fr": "Département d'État des États-Unis",
        "country_es": "Estados Unidos",
        "country_en": "United States",
        "country_fr": "États-Unis",
    },
)
