"""Small name lists for the demo institute: Indian and international, a few in non-Latin script.

Each name is (display, ascii): the display form is what the app shows (Devanagari and Tamil
names exercise Unicode end to end); the ascii form builds email addresses.
"""

from __future__ import annotations

Name = tuple[str, str]

_LATIN_FIRST = (
    "Aarav", "Aditi", "Aditya", "Akash", "Ananya", "Anil", "Anjali", "Arjun", "Asha", "Bhavna",
    "Deepak", "Divya", "Farhan", "Gaurav", "Harini", "Ishaan", "Kavya", "Karan", "Lakshmi",
    "Manish", "Meera", "Mohammed", "Neha", "Nikhil", "Pooja", "Pranav", "Priya", "Rahul",
    "Rajesh", "Ritika", "Rohan", "Sakshi", "Sanjay", "Sara", "Shreya", "Sneha", "Suresh",
    "Tanvi", "Varun", "Vikram", "Zoya", "Ayesha", "Imran", "Fatima", "Joseph", "Maria",
    "Daniel", "Emma", "Liam", "Olivia", "Noah", "Sofia", "Lucas", "Chen", "Mei", "Yuki",
    "Hiroshi", "Amara", "Kwame", "Elena", "Mateo", "Chloé", "José", "Zoë",
)
FIRST_NAMES: tuple[Name, ...] = (
    *((n, n.lower()) for n in _LATIN_FIRST),
    ("अनन्या", "ananya"), ("प्रिया", "priya"), ("राहुल", "rahul"), ("अर्जुन", "arjun"),
    ("தமிழ்செல்வி", "tamilselvi"), ("கார்த்திக்", "karthik"), ("மீனா", "meena"),
)

_LATIN_LAST = (
    "Sharma", "Verma", "Patel", "Iyer", "Nair", "Reddy", "Rao", "Gupta", "Singh", "Kumar",
    "Menon", "Joshi", "Desai", "Mehta", "Kapoor", "Chopra", "Banerjee", "Chatterjee", "Das",
    "Pillai", "Khan", "Shaikh", "Fernandes", "D'Souza", "Bose", "Malhotra", "Agarwal", "Mishra",
    "Pandey", "Yadav", "Smith", "Johnson", "Garcia", "Müller", "Rossi", "Tanaka", "Wang",
    "Okafor", "Silva", "Novak",
)
LAST_NAMES: tuple[Name, ...] = (
    *((n, n.lower().replace("'", "")) for n in _LATIN_LAST),
    ("शर्मा", "sharma"), ("वर्मा", "verma"), ("मुरुगन", "murugan"),
    ("முருகன்", "murugan"), ("சுப்பிரமணியம்", "subramaniam"),
)

CITIES = ("Pune", "Bengaluru", "Chennai", "Hyderabad", "Mumbai", "Delhi", "Kochi", "Jaipur",
          "Ahmedabad", "Kolkata")
STREETS = ("MG Road", "Station Road", "Gandhi Nagar", "Park Street", "Lake View Colony",
           "Nehru Chowk", "Anna Salai", "Shivaji Nagar")
