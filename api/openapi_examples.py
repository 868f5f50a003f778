"""Examples of each operation's 200 response for the OpenAPI document.

Taken from the seed data (lists trimmed to one page of one record, nested lists to one
item); `tests/test_openapi.py` checks that each still validates against its schema.
"""

from typing import Any

EXAMPLES: dict[str, Any] = {
    "getApiDetails": {
        "version": "3.0",
        "profile": "https://openreferraluk.org/specifications/3.0/",
        "openapi_url": "http://127.0.0.1:8000/v1/openapi.json",
        "name": "helpdir",
        "description": "Open data directory of help for people affected by stalking "
        "and harassment in England: services, eligibility, contact "
        "methods and ways to report.",
        "publisher": "helpdir",
        "license": {
            "name": "Open Government Licence v3.0",
            "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        },
        "last_modified": "2026-01-15T09:30:00Z",
    },
    "listServices": {
        "total_items": 3,
        "total_pages": 3,
        "page_number": 1,
        "size": 1,
        "first_page": True,
        "last_page": False,
        "empty": False,
        "contents": [
            {
                "organization_id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
                "name": "National Stalking Helpline",
                "description": "A confidential phone line giving advice and "
                "support about stalking and harassment. It is "
                "run by the Suzy Lamplugh Trust. It started in "
                "2010, set up with Network for Surviving "
                "Stalking and Protection Against Stalking and "
                "part-funded by the Home Office at the time. "
                "What you say is kept confidential unless the "
                "law requires it to be shared or someone is at "
                "risk of harm.",
                "url": "https://www.suzylamplugh.org",
                "status": "active",
                "application_process": "Call the helpline, or use the contact "
                "and referral form on the Suzy Lamplugh "
                "Trust website.",
                "eligibility_description": "Anyone who is, or has been, "
                "affected by stalking or "
                "harassment, of any gender and at "
                "any level of risk, whatever their "
                "relationship to the stalker.",
                "id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
                "last_modified": "2026-01-15T09:30:00Z",
                "organization": {
                    "name": "Suzy Lamplugh Trust",
                    "description": "A charity working on personal "
                    "safety and stalking, founded "
                    "in 1986 by Paul and Diana "
                    "Lamplugh. It gives personal "
                    "safety advice and training, "
                    "campaigns, and runs the "
                    "National Stalking Helpline.",
                    "website": "https://www.suzylamplugh.org",
                    "id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
                },
            }
        ],
    },
    "getService": {
        "organization_id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
        "name": "National Stalking Helpline",
        "description": "A confidential phone line giving advice and support about "
        "stalking and harassment. It is run by the Suzy Lamplugh Trust. "
        "It started in 2010, set up with Network for Surviving Stalking "
        "and Protection Against Stalking and part-funded by the Home "
        "Office at the time. What you say is kept confidential unless "
        "the law requires it to be shared or someone is at risk of "
        "harm.",
        "url": "https://www.suzylamplugh.org",
        "status": "active",
        "application_process": "Call the helpline, or use the contact and referral "
        "form on the Suzy Lamplugh Trust website.",
        "eligibility_description": "Anyone who is, or has been, affected by stalking "
        "or harassment, of any gender and at any level of "
        "risk, whatever their relationship to the stalker.",
        "id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
        "last_modified": "2026-01-15T09:30:00Z",
        "organization": {
            "name": "Suzy Lamplugh Trust",
            "description": "A charity working on personal safety and "
            "stalking, founded in 1986 by Paul and Diana "
            "Lamplugh. It gives personal safety advice and "
            "training, campaigns, and runs the National "
            "Stalking Helpline.",
            "website": "https://www.suzylamplugh.org",
            "id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
        },
        "phones": [
            {
                "service_id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
                "number": "0808 802 0300",
                "type": "voice",
                "description": "National Stalking Helpline.",
                "id": "2d01dba7-ac15-56a0-910e-bdfa6d973a8d",
            }
        ],
        "schedules": [],
        "service_areas": [
            {
                "service_id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
                "name": "United Kingdom",
                "id": "7672deb4-483e-5c1a-983a-0a7bd0089841",
            }
        ],
        "service_at_locations": [
            {
                "service_id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
                "location_id": "ec7b7d65-d845-5a9b-a055-cf4e7986f3e1",
                "id": "1ef83e32-c2d4-53b9-b34d-6c1cd22b0a6f",
                "location": {
                    "location_type": "virtual",
                    "organization_id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
                    "name": "Online",
                    "id": "ec7b7d65-d845-5a9b-a055-cf4e7986f3e1",
                },
            }
        ],
        "languages": [],
        "contacts": [],
        "attributes": [
            {
                "link_id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
                "link_type": "service_type",
                "link_entity": "service",
                "taxonomy_term_id": "b76c4dfb-c385-59d2-876d-5d2b3e871026",
                "id": "221d08ce-c92b-58bb-b772-c15e3288c831",
                "taxonomy_term": {
                    "code": "helpline",
                    "name": "Helpline",
                    "description": "A phone line you can call for advice and support.",
                    "parent_id": "ffcb05d0-01bd-5a3f-b690-37c86b8508ea",
                    "taxonomy_id": "b1470e4d-e543-53c7-863a-a7f788317f32",
                    "id": "b76c4dfb-c385-59d2-876d-5d2b3e871026",
                    "taxonomy": "Service type",
                    "taxonomy_detail": {
                        "name": "Service type",
                        "description": "The kind "
                        "of help "
                        "a "
                        "service "
                        "gives to "
                        "people "
                        "affected "
                        "by "
                        "stalking "
                        "or "
                        "harassment.",
                        "version": "1.0",
                        "id": "b1470e4d-e543-53c7-863a-a7f788317f32",
                    },
                },
            }
        ],
        "sources": [
            {
                "source_key": "S5",
                "title": "Alice Ruggles Trust, advice about stalking",
                "url": "https://alicerugglestrust.org/advice-about-stalking/",
                "page_date": "undated",
                "note": "Phone number.",
            }
        ],
    },
    "listServiceAtLocations": {
        "total_items": 4,
        "total_pages": 4,
        "page_number": 1,
        "size": 1,
        "first_page": True,
        "last_page": False,
        "empty": False,
        "contents": [
            {
                "service_id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
                "location_id": "ec7b7d65-d845-5a9b-a055-cf4e7986f3e1",
                "id": "1ef83e32-c2d4-53b9-b34d-6c1cd22b0a6f",
                "location": {
                    "location_type": "virtual",
                    "organization_id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
                    "name": "Online",
                    "id": "ec7b7d65-d845-5a9b-a055-cf4e7986f3e1",
                },
                "service": {
                    "organization_id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
                    "name": "National Stalking Helpline",
                    "description": "A confidential phone "
                    "line giving advice and "
                    "support about stalking "
                    "and harassment. It is "
                    "run by the Suzy Lamplugh "
                    "Trust. It started in "
                    "2010, set up with "
                    "Network for Surviving "
                    "Stalking and Protection "
                    "Against Stalking and "
                    "part-funded by the Home "
                    "Office at the time. What "
                    "you say is kept "
                    "confidential unless the "
                    "law requires it to be "
                    "shared or someone is at "
                    "risk of harm.",
                    "url": "https://www.suzylamplugh.org",
                    "status": "active",
                    "application_process": "Call the "
                    "helpline, or use "
                    "the contact and "
                    "referral form on "
                    "the Suzy "
                    "Lamplugh Trust "
                    "website.",
                    "eligibility_description": "Anyone who "
                    "is, or has "
                    "been, "
                    "affected by "
                    "stalking or "
                    "harassment, "
                    "of any "
                    "gender and "
                    "at any level "
                    "of risk, "
                    "whatever "
                    "their "
                    "relationship "
                    "to the "
                    "stalker.",
                    "id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
                    "last_modified": "2026-01-15T09:30:00Z",
                    "organization": {
                        "name": "Suzy Lamplugh Trust",
                        "description": "A "
                        "charity "
                        "working "
                        "on "
                        "personal "
                        "safety "
                        "and "
                        "stalking, "
                        "founded "
                        "in 1986 "
                        "by Paul "
                        "and "
                        "Diana "
                        "Lamplugh. "
                        "It "
                        "gives "
                        "personal "
                        "safety "
                        "advice "
                        "and "
                        "training, "
                        "campaigns, "
                        "and "
                        "runs "
                        "the "
                        "National "
                        "Stalking "
                        "Helpline.",
                        "website": "https://www.suzylamplugh.org",
                        "id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
                    },
                },
            }
        ],
    },
    "getServiceAtLocation": {
        "service_id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
        "location_id": "ec7b7d65-d845-5a9b-a055-cf4e7986f3e1",
        "id": "1ef83e32-c2d4-53b9-b34d-6c1cd22b0a6f",
        "location": {
            "location_type": "virtual",
            "organization_id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
            "name": "Online",
            "id": "ec7b7d65-d845-5a9b-a055-cf4e7986f3e1",
        },
        "service": {
            "organization_id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
            "name": "National Stalking Helpline",
            "description": "A confidential phone line giving advice "
            "and support about stalking and "
            "harassment. It is run by the Suzy "
            "Lamplugh Trust. It started in 2010, set "
            "up with Network for Surviving Stalking "
            "and Protection Against Stalking and "
            "part-funded by the Home Office at the "
            "time. What you say is kept confidential "
            "unless the law requires it to be shared "
            "or someone is at risk of harm.",
            "url": "https://www.suzylamplugh.org",
            "status": "active",
            "application_process": "Call the helpline, or use the "
            "contact and referral form on the "
            "Suzy Lamplugh Trust website.",
            "eligibility_description": "Anyone who is, or has been, "
            "affected by stalking or "
            "harassment, of any gender "
            "and at any level of risk, "
            "whatever their relationship "
            "to the stalker.",
            "id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
            "last_modified": "2026-01-15T09:30:00Z",
            "organization": {
                "name": "Suzy Lamplugh Trust",
                "description": "A charity working on "
                "personal safety and "
                "stalking, founded in "
                "1986 by Paul and Diana "
                "Lamplugh. It gives "
                "personal safety advice "
                "and training, "
                "campaigns, and runs the "
                "National Stalking "
                "Helpline.",
                "website": "https://www.suzylamplugh.org",
                "id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
            },
            "phones": [
                {
                    "service_id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
                    "number": "0808 802 0300",
                    "type": "voice",
                    "description": "National Stalking Helpline.",
                    "id": "2d01dba7-ac15-56a0-910e-bdfa6d973a8d",
                }
            ],
            "schedules": [],
            "service_areas": [
                {
                    "service_id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
                    "name": "United Kingdom",
                    "id": "7672deb4-483e-5c1a-983a-0a7bd0089841",
                }
            ],
            "service_at_locations": [
                {
                    "service_id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
                    "location_id": "ec7b7d65-d845-5a9b-a055-cf4e7986f3e1",
                    "id": "1ef83e32-c2d4-53b9-b34d-6c1cd22b0a6f",
                    "location": {
                        "location_type": "virtual",
                        "organization_id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
                        "name": "Online",
                        "id": "ec7b7d65-d845-5a9b-a055-cf4e7986f3e1",
                    },
                }
            ],
            "languages": [],
            "contacts": [],
            "attributes": [
                {
                    "link_id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
                    "link_type": "service_type",
                    "link_entity": "service",
                    "taxonomy_term_id": "b76c4dfb-c385-59d2-876d-5d2b3e871026",
                    "id": "221d08ce-c92b-58bb-b772-c15e3288c831",
                    "taxonomy_term": {
                        "code": "helpline",
                        "name": "Helpline",
                        "description": "A phone line you can call for advice and support.",
                        "parent_id": "ffcb05d0-01bd-5a3f-b690-37c86b8508ea",
                        "taxonomy_id": "b1470e4d-e543-53c7-863a-a7f788317f32",
                        "id": "b76c4dfb-c385-59d2-876d-5d2b3e871026",
                        "taxonomy": "Service type",
                        "taxonomy_detail": {
                            "name": "Service type",
                            "description": "The "
                            "kind "
                            "of "
                            "help "
                            "a "
                            "service "
                            "gives "
                            "to "
                            "people "
                            "affected "
                            "by "
                            "stalking "
                            "or "
                            "harassment.",
                            "version": "1.0",
                            "id": "b1470e4d-e543-53c7-863a-a7f788317f32",
                        },
                    },
                }
            ],
            "sources": [
                {
                    "source_key": "S5",
                    "title": "Alice Ruggles Trust, advice about stalking",
                    "url": "https://alicerugglestrust.org/advice-about-stalking/",
                    "page_date": "undated",
                    "note": "Phone number.",
                }
            ],
        },
    },
    "listOrganizations": {
        "total_items": 7,
        "total_pages": 7,
        "page_number": 1,
        "size": 1,
        "first_page": True,
        "last_page": False,
        "empty": False,
        "contents": [
            {
                "name": "Aurora New Dawn",
                "description": "A female-led charity, registered since "
                "2011, working to end violence and abuse "
                "against women and girls. It helps people "
                "who have lived through stalking, domestic "
                "abuse or sexual violence to be safe, "
                "supported and empowered, offers advocacy, "
                "and runs the Thames Valley Stalking "
                "Service. It says it serves the Thames "
                "Valley and the armed forces.",
                "email": "info@aurorand.org.uk",
                "website": "https://www.aurorand.org.uk",
                "id": "8eb3ca4a-6db1-5b10-8c6c-303d1dc0fe53",
            }
        ],
    },
    "getOrganization": {
        "name": "Suzy Lamplugh Trust",
        "description": "A charity working on personal safety and stalking, "
        "founded in 1986 by Paul and Diana Lamplugh. It gives "
        "personal safety advice and training, campaigns, and runs "
        "the National Stalking Helpline.",
        "website": "https://www.suzylamplugh.org",
        "id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
        "services": [
            {
                "organization_id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
                "name": "National Stalking Helpline",
                "description": "A confidential phone line giving advice and "
                "support about stalking and harassment. It "
                "is run by the Suzy Lamplugh Trust. It "
                "started in 2010, set up with Network for "
                "Surviving Stalking and Protection Against "
                "Stalking and part-funded by the Home Office "
                "at the time. What you say is kept "
                "confidential unless the law requires it to "
                "be shared or someone is at risk of harm.",
                "url": "https://www.suzylamplugh.org",
                "status": "active",
                "application_process": "Call the helpline, or use the "
                "contact and referral form on the "
                "Suzy Lamplugh Trust website.",
                "eligibility_description": "Anyone who is, or has been, "
                "affected by stalking or "
                "harassment, of any gender and "
                "at any level of risk, whatever "
                "their relationship to the "
                "stalker.",
                "id": "9624df9b-27db-548d-8409-8a8ff35a7f0a",
                "last_modified": "2026-01-15T09:30:00Z",
            }
        ],
        "phones": [],
        "contacts": [],
        "locations": [
            {
                "location_type": "virtual",
                "organization_id": "e97766f5-a9ca-56c1-a58e-4647bf09d73e",
                "name": "By phone",
                "id": "102efc71-afcc-57cc-a112-6e069723390a",
            }
        ],
        "attributes": [],
        "sources": [
            {
                "source_key": "S12",
                "title": "Care Choices magazine, article on the Suzy Lamplugh Trust",
                "url": "https://issuu.com/carechoices/docs/cmm_17.2_apr-2020_lr/s/10347699",
                "page_date": "2020-04",
                "note": "Founded in 1986 by Paul and Diana Lamplugh.",
            }
        ],
    },
    "listTaxonomies": {
        "total_items": 2,
        "total_pages": 2,
        "page_number": 1,
        "size": 1,
        "first_page": True,
        "last_page": False,
        "empty": False,
        "contents": [
            {
                "name": "Audience",
                "description": "Who a service is for, or who can use it.",
                "version": "1.0",
                "id": "bcd17048-fadb-5869-9f6f-680ce365bd4f",
            }
        ],
    },
    "getTaxonomy": {
        "name": "Audience",
        "description": "Who a service is for, or who can use it.",
        "version": "1.0",
        "id": "bcd17048-fadb-5869-9f6f-680ce365bd4f",
        "sources": [
            {
                "source_key": "S14",
                "title": "Paladin, guidance for professionals",
                "url": "https://paladinservice.co.uk/guidance-for-professionals/",
                "page_date": "undated",
                "note": "High-risk victims; referrals by professionals.",
            }
        ],
    },
    "listTaxonomyTerms": {
        "total_items": 23,
        "total_pages": 23,
        "page_number": 1,
        "size": 1,
        "first_page": True,
        "last_page": False,
        "empty": False,
        "contents": [
            {
                "code": "advice-and-information",
                "name": "Advice and information",
                "description": "Written or online advice you can read and use yourself.",
                "taxonomy_id": "b1470e4d-e543-53c7-863a-a7f788317f32",
                "id": "0c1e74bf-dec9-5ddb-90a6-c9ae30c98b71",
                "taxonomy": "Service type",
                "taxonomy_detail": {
                    "name": "Service type",
                    "description": "The kind of help a "
                    "service gives to "
                    "people affected by "
                    "stalking or "
                    "harassment.",
                    "version": "1.0",
                    "id": "b1470e4d-e543-53c7-863a-a7f788317f32",
                },
            }
        ],
    },
    "getTaxonomyTerm": {
        "code": "helpline",
        "name": "Helpline",
        "description": "A phone line you can call for advice and support.",
        "parent_id": "ffcb05d0-01bd-5a3f-b690-37c86b8508ea",
        "taxonomy_id": "b1470e4d-e543-53c7-863a-a7f788317f32",
        "id": "b76c4dfb-c385-59d2-876d-5d2b3e871026",
        "taxonomy": "Service type",
        "taxonomy_detail": {
            "name": "Service type",
            "description": "The kind of help a service gives to "
            "people affected by stalking or "
            "harassment.",
            "version": "1.0",
            "id": "b1470e4d-e543-53c7-863a-a7f788317f32",
        },
    },
    "listReportingChannels": {
        "total_items": 1,
        "total_pages": 1,
        "page_number": 1,
        "size": 1,
        "first_page": True,
        "last_page": True,
        "empty": False,
        "contents": [
            {
                "name": "Silent 999 call (the Silent Solution, press 55)",
                "description": "If you are in danger but cannot speak "
                "out loud, you can call 999 from a "
                "mobile and press 55 to show the "
                "police that your call is a real "
                "emergency. Pressing 55 does not tell "
                "the police where you are.",
                "urgency": "emergency",
                "method": "silent_call",
                "number": "999",
                "steps": ["Dial 999 on your mobile phone."],
                "requirements": [
                    "You must call from a mobile phone. "
                    "Pressing 55 is not used on "
                    "landlines; a silent 999 call from a "
                    "landline is put through to a police "
                    "call handler."
                ],
                "suitable_for": ["cannot_speak"],
                "service_areas": ["Thames Valley"],
                "organization_id": "d7e44667-47c6-5222-a091-bcb68bab89f2",
                "service_id": "aabc07d5-541f-56f3-bd57-a1a340b9ac97",
                "id": "e47b36b7-d226-5abc-975b-0aa644b234e0",
                "last_modified": "2026-01-15T09:30:00Z",
                "sources": [
                    {
                        "source_key": "S51",
                        "title": "i news, how to make a silent 999 call and press 55",
                        "url": "https://inews.co.uk/news/silent-999-calls-how-to-press-55-police-advice-watchdog-277598",
                        "page_date": "2019-04",
                        "note": "Steps; mobiles only; landline calls.",
                    }
                ],
            }
        ],
    },
    "getReportingChannel": {
        "name": "Silent 999 call (the Silent Solution, press 55)",
        "description": "If you are in danger but cannot speak out loud, you "
        "can call 999 from a mobile and press 55 to show the "
        "police that your call is a real emergency. Pressing "
        "55 does not tell the police where you are.",
        "urgency": "emergency",
        "method": "silent_call",
        "number": "999",
        "steps": ["Dial 999 on your mobile phone."],
        "requirements": [
            "You must call from a mobile phone. Pressing 55 is "
            "not used on landlines; a silent 999 call from a "
            "landline is put through to a police call handler."
        ],
        "suitable_for": ["cannot_speak"],
        "service_areas": ["Thames Valley"],
        "organization_id": "d7e44667-47c6-5222-a091-bcb68bab89f2",
        "service_id": "aabc07d5-541f-56f3-bd57-a1a340b9ac97",
        "id": "e47b36b7-d226-5abc-975b-0aa644b234e0",
        "last_modified": "2026-01-15T09:30:00Z",
        "sources": [
            {
                "source_key": "S51",
                "title": "i news, how to make a silent 999 call and press 55",
                "url": "https://inews.co.uk/news/silent-999-calls-how-to-press-55-police-advice-watchdog-277598",
                "page_date": "2019-04",
                "note": "Steps; mobiles only; landline calls.",
            }
        ],
    },
    "listGuidance": {
        "total_items": 8,
        "total_pages": 8,
        "page_number": 1,
        "size": 1,
        "first_page": True,
        "last_page": False,
        "empty": False,
        "contents": [
            {
                "name": "Get advice and support",
                "description": "You can get help from specialist services as "
                "well as, or instead of, reporting to the "
                "police.",
                "category": "personal_safety",
                "items": [
                    "The National Stalking Helpline (0808 802 0300) "
                    "gives confidential advice and support to anyone "
                    "affected by stalking or harassment."
                ],
                "id": "c19d087b-037e-51c7-b854-3983dc2e64b2",
                "last_modified": "2026-01-15T09:30:00Z",
                "sources": [
                    {
                        "source_key": "S5",
                        "title": "Alice Ruggles Trust, advice about stalking",
                        "url": "https://alicerugglestrust.org/advice-about-stalking/",
                        "page_date": "undated",
                        "note": "National Stalking Helpline number.",
                    }
                ],
            }
        ],
    },
    "getGuidance": {
        "name": "Keep a record of what happens",
        "description": "Write down and keep a record of everything that happens.",
        "category": "evidence",
        "items": [
            "Keep a diary of each incident, noting the date, the time, where it "
            "happened and anything else you think matters."
        ],
        "id": "161660a3-eb15-54fd-a0d4-3b2b5ab6e82d",
        "last_modified": "2026-01-15T09:30:00Z",
        "sources": [
            {
                "source_key": "S1",
                "title": 'Buckinghamshire Council, "Stalking and harassment"',
                "url": "https://www.buckinghamshire.gov.uk/community-and-safety/safety-and-crime-in-your-community/stalking-and-harassment/",
                "page_date": "undated",
                "section": "Help if you’re affected by stalking",
            }
        ],
    },
}
